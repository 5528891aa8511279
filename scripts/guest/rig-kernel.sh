# What the rig and the tests rely on from the kernel, checked on each variant (Debian's stock
# kernel has some of it as modules or with other defaults): the QMP control channel on ttyS1,
# debugfs, native PCIe hotplug on the root ports, a virtio-net NIC, and (hotdma.preempt=MODEL)
# the preemption model the command line asked for. isa-debug-exit is checked by every run's
# exit status.
. /guest/lib.sh

reply=$(qmp '{"execute":"query-status"}')
case $reply in
*'"running"'*) result rig-serial-qmp PASS "$reply" ;;
*) result rig-serial-qmp FAIL "QMP over ttyS1: '$reply'" ;;
esac

if grep -q " /sys/kernel/debug debugfs " /proc/mounts && [ -n "$(ls /sys/kernel/debug)" ]; then
	result rig-debugfs PASS
else
	result rig-debugfs FAIL "debugfs not mounted at /sys/kernel/debug"
fi

# pciehp binds the root port and registers its slot (the I/OAT device sits behind rp0).
slots=$(ls /sys/bus/pci/slots 2>/dev/null | tr '\n' ' ')
hp=$(ls /sys/bus/pci_express/drivers/pciehp 2>/dev/null | grep -c ':pcie')
if [ "$hp" -ge 1 ] && [ -n "$slots" ]; then
	result rig-pciehp PASS "$hp pciehp port(s), slots: $slots"
else
	result rig-pciehp FAIL "$hp pciehp ports, slots '$slots'"
fi

# The NIC: bound to virtio_net, link up, and the user-mode network's gateway answers.
nic=
for n in /sys/class/net/*; do
	[ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)")" = virtio_net ] && nic=$(basename "$n")
done
if [ -z "$nic" ]; then
	result rig-virtio-net FAIL "no interface bound to virtio_net: $(ls /sys/class/net | tr '\n' ' ')"
elif ip link set "$nic" up && ip addr add 10.0.2.15/24 dev "$nic" && ping -c 1 -W 5 10.0.2.2 >/tmp/ping 2>&1; then
	result rig-virtio-net PASS "$nic: $(grep 'bytes from' /tmp/ping)"
else
	result rig-virtio-net FAIL "$nic: $(cat /tmp/ping 2>/dev/null | tail -2 | tr '\n' ' ')"
fi

want=$(cmdline_arg hotdma.preempt)
if [ -n "$want" ]; then
	got=$(cat /sys/kernel/debug/sched/preempt 2>/dev/null)
	case $got in
	*"($want)"*) result rig-preempt PASS "$got" ;;
	*) result rig-preempt FAIL "wanted ($want), /sys/kernel/debug/sched/preempt: '$got'" ;;
	esac
fi
