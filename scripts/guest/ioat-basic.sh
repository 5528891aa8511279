# hotdma_ioat: KUnit, probe of 2 devices x 4 channels, hotdma_test 1000 iterations per channel
# with 0 failures, completions by MSI-X. Suffix from hotdma.suffix= (iommu run).
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

ITER=1000
sfx=$(cmdline_arg hotdma.suffix)

insmod $M/hotdma.ko
ktap_module hotdma_ioat_kunit.ko
rmmod hotdma_ioat_kunit 2>/dev/null
insmod $M/hotdma_ioat.ko
n=$(hotdma_ioat_registered)
if [ "$n" = 2 ] && ! dmesg | grep -q "self-test failed"; then
	result "ioat-probe$sfx" PASS "$(dmesg | grep 'hotdma: ioat .*registered' | head -1 | sed 's/.*hotdma: //')"
else
	result "ioat-probe$sfx" FAIL "$n devices registered: $(dmesg | grep 'hotdma: ioat' | tail -3)"
fi
if [ -n "$sfx" ]; then
	iommu=0
	for d in $(ioat_pci_devices); do
		[ -e /sys/bus/pci/devices/$d/iommu_group ] && iommu=$((iommu + 1))
	done
	[ "$iommu" = 2 ] || result "ioat-test$sfx" FAIL "intel-iommu not translating ($iommu devices)"
fi
irq0=$(hotdma_msix_total)
t0=$(date +%s)
run_hotdma_test /tmp/t.log iterations=$ITER
t1=$(date +%s)
grep "hotdma: test" /tmp/t.log
if out=$(test_check /tmp/t.log $ITER 8); then
	result "ioat-test$sfx" PASS "8 channels x $ITER tests: $out, $((t1 - t0))s"
else
	result "ioat-test$sfx" FAIL "$out"
fi
irqs=$(($(hotdma_msix_total) - irq0))
if [ "$irqs" -ge $((8 * ITER / 2)) ]; then
	result "ioat-irq$sfx" PASS "$irqs hotdma-ioat-msix interrupts for $((8 * ITER)) operations"
else
	result "ioat-irq$sfx" FAIL "$irqs interrupts for $((8 * ITER)) operations"
fi
# Orderly removal by rmmod, and back.
dmesg -c >/dev/null
rmmod hotdma_ioat && insmod $M/hotdma_ioat.ko
if [ "$(hotdma_ioat_registered)" = 2 ]; then
	run_hotdma_test /tmp/t2.log iterations=50
	if out=$(test_check /tmp/t2.log 50 8); then
		result "ioat-rmmod$sfx" PASS "rmmod + insmod: $out"
	else
		result "ioat-rmmod$sfx" FAIL "after reload: $out"
	fi
else
	result "ioat-rmmod$sfx" FAIL "reload registered $(hotdma_ioat_registered) (want 2)"
fi

# Interrupt fallbacks: MSI (one vector, ATTNSTATUS) and INTx.
for style in msi intx; do
	rmmod hotdma_ioat
	dmesg -c >/dev/null
	insmod $M/hotdma_ioat.ko interrupt_style=$style
	mode=$(dmesg | grep -c "$(echo $style | tr a-z A-Z | sed 's/INTX/INTx/') interrupts, registered")
	run_hotdma_test /tmp/t3.log iterations=100
	if [ "$mode" = 2 ] && out=$(test_check /tmp/t3.log 100 8); then
		result "ioat-$style$sfx" PASS "interrupt_style=$style: $out"
	else
		result "ioat-$style$sfx" FAIL "$mode devices in $style mode; $out"
	fi
done
