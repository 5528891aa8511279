# Runs after every guest test (from /init). Let the guest settle so that what the test's last
# commands left behind (timers, work items, RCU callbacks, deferred printk) reaches the console
# before the VM ends; on the debug kernel, make kmemleak report every leak; print the kernel
# log once more. Failures go through run/put (lib.sh) and fail the run.
. /guest/lib.sh

variant=$(cmdline_arg hotdma.variant)
start=$(cut -d' ' -f1 /proc/uptime)
# settle_until SECONDS: sleep until SECONDS after $start, to the hundredth (whole seconds
# cut both readings down and left as little as one second of a "2 s" settle).
settle_until() {
	local left
	left=$(awk -v s="$start" -v d="$1" '{ l = s + d - $1; printf "%.2f", (l > 0 ? l : 0) }' /proc/uptime)
	sleep "$left"
}
if [ "$variant" = debug ]; then
	K=/sys/kernel/debug/kmemleak
	if [ ! -e $K ]; then
		run_failed "kmemleak: $K missing on the debug kernel"
	else
		# kmemleak reports an object only when it is older than 5 s (MSECS_MIN_AGE) at the
		# start of a scan and its checksum did not change since the previous scan. The
		# first scan records checksums (and, ~20 s under TCG, is the settling time); the
		# second starts at least 6 s after the test's last command. A scan fails with EPERM
		# once kmemleak has disabled itself.
		if put $K scan; then
			settle_until 6
			put $K scan && echo "@@KMEMLEAK scanned"
		fi
		leaks=$(cat $K)
		if [ -n "$leaks" ]; then
			echo "$leaks"
			run_failed "kmemleak: $(echo "$leaks" | grep -c '^unreferenced object') leaks reported"
		fi
	fi
fi
# Settle: at least 2 s after the test's last command.
settle_until 2
# The console has every message printed at console log level; the log itself also has those
# printed since the test's last `dmesg -c`, whatever the console level was.
echo "@@DMESG-BEGIN"
dmesg
echo "@@DMESG-END"
echo "@@SETTLED"
