# Load the core, run the C++ runtime KUnit suite, unload everything.
. /guest/lib.sh

run insmod /lib/modules/hotdma/hotdma.ko
check hotdma-loads grep -q '^hotdma ' /proc/modules
run ktap_module hotdma_rt_kunit.ko
ktap_unload hotdma_rt_kunit
run rmmod hotdma
check hotdma-unloads sh -c '! grep -q "^hotdma " /proc/modules'
