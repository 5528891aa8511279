# Live code patching under parallel execution: the poke KUnit suite flips the kernel's own
# static key and the core's removal key while every CPU executes their sites
# (kunit/poke_kunit.c, 10 s per case).
. /guest/lib.sh

run insmod /lib/modules/hotdma/hotdma.ko
check core-loads grep -q '^hotdma ' /proc/modules
run insmod /lib/modules/hotdma/hotdma_soft.ko
check soft-loads grep -q '^hotdma_soft ' /proc/modules
run ktap_module hotdma_poke_kunit.ko
ktap_unload hotdma_poke_kunit
run rmmod hotdma_soft
run rmmod hotdma
check core-unloads sh -c '! grep -q "^hotdma " /proc/modules'
