# Helpers for the benchmark guest scripts (sourced after /guest/lib.sh). Results are the
# kernel log lines "hotdma: bench {json}" that hotdma_bench.ko prints on the console, where
# bench/run.py reads them; these scripts only drive the commands and report @@RESULT cases.
M=/lib/modules/hotdma
B=/sys/kernel/debug/hotdma/bench/control

# bench_record JSON: one result record, written to the kernel log (/dev/kmsg) so that on the
# console it is one whole line in order with the module's own "hotdma: bench" lines. A plain
# echo goes through the tty's buffer: a printk of the device activity that follows (a rescan,
# a probe) can land inside it or before it (B4 lost records split by "pci ...: [8086:2021]";
# B5 saw a rebalance line before the point it belonged to). Each write opens /dev/kmsg anew:
# its rate limit (10 lines per 5 s) is per open file.
bench_record() {
	echo "<6>@@BENCH $1" >/dev/kmsg
}

# bench_cmd NAME COMMAND...: one hotdma_bench command (the write returns when it is done);
# a counted case NAME.
bench_cmd() {
	local name=$1
	shift
	if echo "$*" >$B; then
		result "$name" PASS "$*"
	else
		result "$name" FAIL "'$*' failed (see the kernel log)"
		return 1
	fi
}

# load_bench [hotdma.ko params]: the core, the soft provider and the benchmark module.
load_bench() {
	run insmod $M/hotdma.ko "$@" && run insmod $M/hotdma_soft.ko && run insmod $M/hotdma_bench.ko
}

# unload_bench [MODULE...]: rmmod the named modules, then the benchmark, soft and core.
unload_bench() {
	local m
	for m in "$@" hotdma_bench hotdma_soft hotdma; do
		run rmmod "$m" || return 1
	done
	! grep -q "^hotdma" /proc/modules
}

# bind PCI-NAME DRIVER: give one model device to one driver (driver_override + bind).
bind() {
	put "/sys/bus/pci/devices/$1/driver_override" "$2" &&
		put "/sys/bus/pci/drivers/$2/bind" "$1"
}

# driver_of PCI-NAME: the driver bound to it, or nothing.
driver_of() {
	basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null
}

# model_devices: PCI names of the I/OAT model functions, in bus order.
model_devices() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x8086 ] || continue
		case $(cat "$d/device") in 0x2021 | 0x0b00) basename "$d" ;; esac
	done
}

# b2_devices [hotdma_ioat PARAM...]: B2's two stacks on the first two model devices, $intree
# given to the in-tree ioatdma and $ours to hotdma_ioat, the modules loaded (counted cases
# bench-loads and hotdma-ioat-loads). bench-copy.sh; b2-probe.sh (a diagnostic).
b2_devices() {
	intree=$(model_devices | sed -n 1p)
	ours=$(model_devices | sed -n 2p)
	put "/sys/bus/pci/devices/$intree/driver_override" ioatdma
	put "/sys/bus/pci/devices/$ours/driver_override" hotdma_ioat
	run load_intree_ioat
	check bench-loads load_bench
	check hotdma-ioat-loads run insmod $M/hotdma_ioat.ko devices=none "$@"
}
