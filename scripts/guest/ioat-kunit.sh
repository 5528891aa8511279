# hotdma_ioat KUnit suites: the device-free helpers and the channel on a fake register block.
. /guest/lib.sh

run insmod /lib/modules/hotdma/hotdma.ko || exit 1
run ktap_module hotdma_ioat_kunit.ko
ktap_unload hotdma_ioat_kunit
