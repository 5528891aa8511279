# The dmaengine core: its KUnit suite over soft devices, then the soft provider's debugfs knob
# (hot-remove and re-add from the shell). Stress duration: hotdma.stress=SECONDS.
. /guest/lib.sh

STRESS=$(sed -n 's/.*hotdma\.stress=\([0-9]*\).*/\1/p' /proc/cmdline)

D=/sys/kernel/debug/hotdma
insmod /lib/modules/hotdma/hotdma.ko
check core-loads grep -q '^hotdma ' /proc/modules
insmod /lib/modules/hotdma/hotdma_soft.ko
check soft-loads grep -q '^hotdma_soft ' /proc/modules
ktap_module hotdma_core_kunit.ko stress_seconds="${STRESS:-4}"
rmmod hotdma_core_kunit

# debugfs: a soft device appears with its channels, disappears on "remove", comes back.
echo "add 2 0" >$D/soft/control
check debugfs-device-state grep -q '^state live' $D/soft00/state
check debugfs-channel-dirs sh -c "ls -d $D/soft00/chan* | wc -l | grep -qx 2"
check debugfs-channel-counters grep -q '^operations 0' "$(ls -d $D/soft00/chan* | head -1)/state"
check debugfs-refs-per-cpu grep -q '^refs_cpu0 0' $D/soft00/state
check debugfs-core-table grep -q '^cpu0 node' $D/core
echo "remove 0" >$D/soft/control
check knob-hot-remove sh -c "[ ! -e $D/soft00 ] && grep -q '^removals [1-9]' $D/core"
echo "add 1 0" >$D/soft/control
check knob-re-add grep -q '^state live' $D/soft00/state
check knob-pause sh -c "echo 'pause 0 1' >$D/soft/control && echo 'pause 0 0' >$D/soft/control"
check knob-rejects-garbage sh -c "! echo 'frobnicate' >$D/soft/control"
echo "remove 0" >$D/soft/control

rmmod hotdma_soft
rmmod hotdma
check core-unloads sh -c '! grep -q "^hotdma " /proc/modules'
