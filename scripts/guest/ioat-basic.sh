# hotdma_ioat on 2 devices x 4 channels, loading the rings for real: hotdma_test at queue depth
# 1, 16 and more than a ring holds (a 32-slot ring: -EBUSY and retry), every byte verified;
# table mode (hotdma_chan_get per operation, one thread per CPU); completions by MSI-X, MSI
# (ATTNSTATUS) and INTx, each counted; rmmod and reload. The ring wraps many times in every
# run (ring_order=6: 64 slots). Suffix from hotdma.suffix= (iommu run).
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

sfx=$(cmdline_arg hotdma.suffix)
# Operations per thread: 500 wrap a 64-slot ring ~8 times per channel (a 32-slot one ~16 at
# depth 64). The debug kernel (KASAN, lockdep, kmemleak) under TCG is several times slower;
# 200 still wrap every ring several times.
ITER=500
[ -e /sys/kernel/debug/kmemleak ] && ITER=200

run insmod $M/hotdma.ko || exit 1
run insmod $M/hotdma_ioat.ko ring_order=6
n=$(hotdma_ioat_registered)
if [ "$n" = 2 ] && ! dmesg | grep -q "self-test failed"; then
	result "ioat-probe$sfx" PASS "$(dmesg | grep 'hotdma: ioat .*registered' | head -1 | sed 's/.*hotdma: //')"
else
	result "ioat-probe$sfx" FAIL "$n devices registered: $(dmesg | grep 'hotdma: ioat' | tail -3)"
fi
if [ "${sfx%-iommu}" != "$sfx" ]; then
	iommu=0
	for d in $(ioat_pci_devices); do
		[ -e /sys/bus/pci/devices/$d/iommu_group ] && iommu=$((iommu + 1))
	done
	[ "$iommu" = 2 ] || result "ioat-qd1$sfx" FAIL "intel-iommu not translating ($iommu devices)"
fi

# load CASE IRQNAME ITER MINIRQ PARAMS...: one verified hotdma_test run on all 8 channels,
# with at least MINIRQ interrupts of IRQNAME during it (one per arming: completions that come
# while the channel is disarmed share the next one, so deep queues need fewer).
load() {
	local case=$1 irq=$2 iter=$3 minirq=$4 i0 i1 t0 t1 out rc
	shift 4
	i0=$(irq_total "$irq")
	t0=$(date +%s)
	run_hotdma_test /tmp/$case.log iterations=$iter "$@"
	rc=$?
	t1=$(date +%s)
	i1=$(irq_total "$irq")
	grep "hotdma: test" /tmp/$case.log | tail -3
	if [ $rc != 0 ]; then
		result "$case$sfx" FAIL "insmod failed ($rc): $(test_check /tmp/$case.log $iter 8)"
	elif ! out=$(test_check /tmp/$case.log $iter 8); then
		result "$case$sfx" FAIL "$out"
	elif [ $((i1 - i0)) -lt "$minirq" ]; then
		result "$case$sfx" FAIL "$((i1 - i0)) $irq interrupts for $((8 * iter)) operations"
	else
		result "$case$sfx" PASS "$* 8 x $iter: $out, $(test_rate /tmp/$case.log), $((i1 - i0)) $irq interrupts, $((t1 - t0))s"
	fi
}

# A completion while the channel is disarmed shares the next interrupt (6.1 re-arms at the end
# of the cleanup tasklet, after the callback woke the waiter): one in 8 is still far from the
# watchdog's "none at all".
load ioat-qd1 hotdma-ioat-msix $ITER $((8 * ITER / 8)) queue_depth=1
load ioat-qd16 hotdma-ioat-msix $ITER $((8 * ITER / 64)) queue_depth=16
# The engine is slowed (500 ms per descriptor) while the ring is overfilled: a TCG vCPU running
# the debug kernel submits more slowly than the unthrottled model completes, and the ring
# never fills (seen: no -EBUSY on debug; with 2 ms per descriptor still none on debug with
# intel-iommu, whose mappings cost more; with 20 ms none on debug on a loaded host, where each
# thread submitted 8.5 copies/s: 17/s per channel against 50/s completed). At 2 completions/s
# per channel, 80 copies per channel leave 32 outstanding (a full ring) whenever its two
# threads submit more than 3.3/s. The watchdog's period is raised above the descriptor time
# (a channel that makes no progress for 2 periods is reset), hotdma_test's wait above the
# 16 s a copy at the back of a full ring waits, and the iterations fixed: 80 x 500 ms = 40 s
# per channel on every kernel.
run rmmod hotdma_ioat && run insmod $M/hotdma_ioat.ko ring_order=5 completion_timeout_ms=2000
for d in ioat0 ioat1; do qom_set $d latency 500000000 >/dev/null; done
load ioat-ring-full hotdma-ioat-msix 40 1 queue_depth=64 timeout_ms=60000
for d in ioat0 ioat1; do qom_set $d latency 0 >/dev/null; done
busy=$(awk '/^busy / { n += $2 } END { print n + 0 }' /sys/kernel/debug/hotdma/*/chan*/state 2>/dev/null)
echo "busy (ring full) refusals so far: $busy"
if [ "$busy" -gt 0 ]; then
	result "ioat-ring-full-busy$sfx" PASS "$busy -EBUSY refusals with 64 in flight on a 32-slot ring"
else
	result "ioat-ring-full-busy$sfx" FAIL "the ring never filled (no -EBUSY)"
fi

# hotdma.wrap=1 (ioat/split: a model with xfercap=12, copies split into pieces of 4 KiB):
# after the loaded runs above, DMACOUNT, 16 bits, wraps within one run on one channel. A
# 16-slot ring holds one operation of at most 15 pieces (60 KiB): random copies below 60 KiB
# take 8 descriptors on average, so 10000 of them issue ~80000 (>65536) and nearly every one
# fills the ring (-EBUSY at depth 2). What follows (table mode, rmmod, MSI/INTx) does not
# depend on xfercap and runs only in the other runs.
if [ "$(cmdline_arg hotdma.wrap)" = 1 ]; then
	run rmmod hotdma_ioat && run insmod $M/hotdma_ioat.ko ring_order=4
	run_hotdma_test /tmp/wrap.log iterations=10000 max_channels=1 queue_depth=2 test_buf_size=61440
	rc=$?
	issued=$(awk '$1 ~ /^chan/ { for (i = 2; i < NF; i++) if ($i == "issued") n += $(i + 1) }
		END { print n + 0 }' /sys/kernel/debug/hotdma/ioat/*/state)
	if [ $rc = 0 ] && out=$(test_check /tmp/wrap.log 10000 1) && [ "$issued" -gt 65536 ]; then
		result "ioat-dmacount-wrap$sfx" PASS "one channel, 16-slot ring: $issued descriptors (DMACOUNT wrapped), $out"
	else
		result "ioat-dmacount-wrap$sfx" FAIL "rc $rc, $issued descriptors issued; $(test_check /tmp/wrap.log 10000 1)"
	fi
	exit 0
fi

# Table mode: hotdma_chan_get for every operation, one thread per CPU; no CPU fallback while
# every channel is there.
run rmmod hotdma_ioat && run insmod $M/hotdma_ioat.ko ring_order=6
dmesg -c >/dev/null
ncpu=$(grep -c ^processor /proc/cpuinfo)
run_hotdma_test /tmp/table.log mode=table queue_depth=16 iterations=$((2 * ITER))
rc=$?
grep "hotdma: test" /tmp/table.log
cpu=$(sed -n 's/.*, cpu \([0-9]*\).*/\1/p' /tmp/table.log | awk '{ n += $1 } END { print n + 0 }')
if [ $rc = 0 ] && out=$(test_check /tmp/table.log $((2 * ITER)) "$ncpu") && [ "$cpu" = 0 ]; then
	result "ioat-table$sfx" PASS "$ncpu threads x $((2 * ITER)), queue depth 16: $out, $(test_rate /tmp/table.log)"
else
	result "ioat-table$sfx" FAIL "rc $rc, $cpu CPU copies: $out"
fi

# Orderly removal by rmmod, and back.
dmesg -c >/dev/null
if run rmmod hotdma_ioat && run insmod $M/hotdma_ioat.ko && [ "$(hotdma_ioat_registered)" = 2 ]; then
	if run_hotdma_test /tmp/t2.log iterations=50 && out=$(test_check /tmp/t2.log 50 8); then
		result "ioat-rmmod$sfx" PASS "rmmod + insmod: $out"
	else
		result "ioat-rmmod$sfx" FAIL "after reload: $(test_check /tmp/t2.log 50 8)"
	fi
else
	result "ioat-rmmod$sfx" FAIL "reload registered $(hotdma_ioat_registered) (want 2)"
fi

# Interrupt fallbacks: MSI (one vector per device, ATTNSTATUS) and INTx, queue depth 4.
for style in msi intx; do
	run rmmod hotdma_ioat
	dmesg -c >/dev/null
	run insmod $M/hotdma_ioat.ko interrupt_style=$style ring_order=6
	mode=$(dmesg | grep -c "$(echo $style | tr a-z A-Z | sed 's/INTX/INTx/') interrupts, registered")
	if [ "$mode" != 2 ]; then
		result "ioat-$style$sfx" FAIL "$mode devices in $style mode"
		continue
	fi
	load "ioat-$style" "hotdma-ioat-$style" 200 $((8 * 200 / 16)) queue_depth=4
done
