# QEMU I/OAT model, test 2: in-tree dmatest on every channel of every device, in parallel,
# with dmatest's default random sizes and offsets. Strict: every channel must print exactly
# one well-formed summary with all iterations and 0 failures. Case names get the suffix from
# the kernel command line (hotdma.suffix=-iommu) so the IOMMU run counts separately.
. /guest/lib.sh
. /guest/model-lib.sh

ITER=1000
sfx=$(cmdline_arg hotdma.suffix)

load_intree_ioat
chans=$(ioat_channels | tr '\n' ' ')
n=$(count_channels)
if [ "$n" != 8 ] || [ -n "$(ioat_probe_errors)" ]; then
	result "dmatest$sfx" FAIL "ioatdma bound $n channels: $(ioat_probe_errors)"
	result "dmatest-irq$sfx" FAIL "no channels"
	result "dmatest-polled$sfx" FAIL "no channels"
	exit 0
fi
iommu=""
for d in $(ioat_pci_devices); do
	[ -e /sys/bus/pci/devices/$d/iommu_group ] && iommu="$iommu $d"
done
echo "devices behind an IOMMU:${iommu:- none}"
if [ -n "$sfx" ] && [ -z "$iommu" ]; then
	result "dmatest$sfx" FAIL "intel-iommu is not translating for the I/OAT devices"
	exit 0
fi

irq_before=$(msix_total)
t0=$(date +%s)
dmatest_run $ITER $chans
t1=$(date +%s)
if out=$(dmatest_check $ITER $chans); then
	result "dmatest$sfx" PASS "$n channels x $ITER tests, 0 failures, $out total, $((t1 - t0))s"
else
	result "dmatest$sfx" FAIL "$out"
fi
grep "summary" /tmp/dmatest.log

# Completions must arrive by MSI-X, not only through the driver's 200 ms watchdog (the
# watchdog alone would still pass dmatest, just slowly, with next to no interrupts; spec
# §5.4). At least one for every two transfers, not one each: 6.1 re-arms the channel's
# interrupt at the end of its cleanup tasklet, after the callback woke dmatest's thread, so
# a copy that thread submits and the model completes in that window shares the next one
# (a vCPU preempted there on a loaded host makes that common).
irqs=$(($(msix_total) - irq_before))
if [ "$irqs" -ge $((n * ITER / 2)) ]; then
	result "dmatest-irq$sfx" PASS "$irqs ioat-msix interrupts for $((n * ITER)) transfers"
else
	result "dmatest-irq$sfx" FAIL "$irqs ioat-msix interrupts for $((n * ITER)) transfers"
fi

# polled=1 submits without DMA_PREP_INTERRUPT and polls tx_status: the completion
# write-back alone must drive progress.
dmatest_run 200 $chans -- polled=1
if out=$(dmatest_check 200 $chans); then
	result "dmatest-polled$sfx" PASS "$n channels x 200 polled tests, $out"
else
	result "dmatest-polled$sfx" FAIL "$out"
fi
