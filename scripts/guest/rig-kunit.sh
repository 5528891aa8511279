# Load the core, run the C++ runtime KUnit suite, unload everything.
. /guest/lib.sh

insmod /lib/modules/hotdma/hotdma.ko
check hotdma-loads grep -q '^hotdma ' /proc/modules
ktap_module hotdma_rt_kunit.ko
rmmod hotdma_rt_kunit
rmmod hotdma
check hotdma-unloads sh -c '! grep -q "^hotdma " /proc/modules'
