# Garbage into every debugfs and sysfs file hotdma creates, and every module parameter out of
# range at run time and at insmod (issue 13). Sourced by rel-matrix.sh with hotdma,
# hotdma_ioat and hotdma_netdma loaded, both model devices bound and no client running.
# Each write must fail with an error and change nothing the file (or the module) shows;
# each refused insmod must fail with EINVAL, leave no module behind and name the parameter.
D=/sys/kernel/debug

# garbage_into FILE CLASS: write each garbage string; every write must fail, content equal.
GARBAGE_LIST=/tmp/garbage.list
{
	echo "x"
	echo "-1"
	echo "4294967296"
	echo "18446744073709551616"
	echo "0x"
	echo "1 2 3 4 5 6 7 8"
	echo "add"
	echo "add 1"
	echo "add 0 0"
	echo "add 99 0"
	echo "add -1 0"
	echo "add 1 0 trailing"
	echo "remove"
	echo "remove 99"
	echo "remove -1"
	echo "pause 0"
	echo "pause 99 1"
	echo "fail 99 1"
	echo "fail x y"
	echo "addd 1 0"
	echo "getx"
	echo "get 1"
	echo "gets"
	echo "put x"
	echo "put 1"
	printf 'get\tjunk\n'
	printf 'add 1 0%0100d\n' 0
	printf 'add 1 0%100s\n' "x"
} >$GARBAGE_LIST
head -c 200 /dev/urandom >/tmp/garbage.rnd
head -c 70000 /dev/zero | tr '\0' 'a' >/tmp/garbage.big

garbage_into() {
	local f=$1 cls=$2 before after g n=0
	before=$(cat "$f" 2>&1)
	while IFS= read -r g; do
		if printf '%s' "$g" >"$f" 2>/dev/null; then
			bad "$cls" "$f: '$(echo "$g" | cut -c1-40)' accepted"
		fi
		n=$((n + 1))
	done <$GARBAGE_LIST
	# Binary junk, and a write far beyond any buffer (dd: one write, its error is the status).
	if dd if=/tmp/garbage.rnd of="$f" bs=200 count=1 2>/dev/null; then bad "$cls" "$f: 200 random bytes accepted"; fi
	if dd if=/tmp/garbage.big of="$f" bs=70000 count=1 2>/dev/null; then bad "$cls" "$f: 70000 bytes accepted"; fi
	n=$((n + 2))
	after=$(cat "$f" 2>&1)
	[ "$before" = "$after" ] || bad "$cls" "$f changed: $(echo "$before" | head -2 | tr '\n' ' ') -> $(echo "$after" | head -2 | tr '\n' ' ')"
	exercised "$cls" $n
}

# -- debugfs: the core's, each device's and channel's, netdma's, soft's control, our attrs --
for f in $D/hotdma/core $D/hotdma/*/state $D/hotdma/*/*/state $D/hotdma/netdma/stats; do
	[ -f "$f" ] && garbage_into "$f" badinput-debugfs
done
# The core's hold knob (get/put, nothing else): garbage takes no channel; the words still work.
garbage_into $D/hotdma/hold badinput-debugfs
# (Should garbage have taken channels, give them back: the rest of the run needs no holder.)
for i in 1 2 3 4 5 6 7 8; do grep -q '^held 0' $D/hotdma/hold || echo put >$D/hotdma/hold; done
{ put $D/hotdma/hold get && grep -q '^held 1' $D/hotdma/hold && put $D/hotdma/hold put &&
	grep -q '^held 0' $D/hotdma/hold; } || bad badinput-debugfs "hold: get/put after the garbage: $(cat $D/hotdma/hold)"
insmod $M/hotdma_soft.ko && put $D/hotdma/soft/control "add 2 -1"
garbage_into $D/hotdma/soft/control badinput-debugfs
# The valid commands still work afterwards.
put $D/hotdma/soft/control "remove 0" && put $D/hotdma/soft/control "add 1 -1" &&
	put $D/hotdma/soft/control "remove 0" || bad badinput-debugfs "soft control: valid commands refused after the garbage"
rmmod hotdma_soft || bad badinput-debugfs "hotdma_soft would not unload"
# hotdma_fail_alloc/ and hotdma_fail_map/ are the kernel's own fault-injection files
# (fault_create_debugfs_attr: debugfs u64/bool/atomic helpers with the kernel's parsing, e.g. a
# bool ignores what it cannot parse); not garbage-tested as ours.

# -- sysfs: our driver's files and every writable parameter of our modules --
for f in bind unbind new_id remove_id; do
	[ -f /sys/bus/pci/drivers/hotdma_ioat/$f ] || continue
	echo "garbage" >/sys/bus/pci/drivers/hotdma_ioat/$f 2>/dev/null &&
		bad badinput-sysfs "hotdma_ioat/$f: garbage accepted"
	echo "0000:09:00.0" >/sys/bus/pci/drivers/hotdma_ioat/$f 2>/dev/null &&
		[ "$f" != new_id ] && bad badinput-sysfs "hotdma_ioat/$f: a device that does not exist accepted"
	exercised badinput-sysfs 2
done
[ "$(hotdma_devices)" = 2 ] || bad badinput-sysfs "devices unbound by garbage: $(hotdma_devices) left"

# param_runtime MODULE PARAM BAD... : each bad value refused through sysfs, value kept.
param_runtime() {
	local mod=$1 p=$2 f before v
	shift 2
	f=/sys/module/$mod/parameters/$p
	[ -f "$f" ] || { bad badinput-sysfs "$f missing"; return; }
	before=$(cat "$f")
	for v in "$@"; do
		if echo "$v" >"$f" 2>/dev/null; then
			bad badinput-sysfs "$mod.$p=$v accepted at run time (now $(cat "$f"))"
			echo "$before" >"$f"
		fi
		[ "$(cat "$f")" = "$before" ] || bad badinput-sysfs "$mod.$p changed to $(cat "$f") by $v"
		exercised badinput-sysfs
	done
	echo "$before" >"$f" || bad badinput-sysfs "$mod.$p: its own value $before refused"
}
param_runtime hotdma drain_timeout_ms -1 x 4294967296 4294967295 600001
param_runtime hotdma_ioat pending_level -1 65536 x
param_runtime hotdma_ioat completion_timeout_ms 0 9 60001 x
param_runtime hotdma_ioat devices "zzzz" "0000:01:00.0,garbage" "$(head -c 300 /dev/zero | tr '\0' 'a')"
param_runtime hotdma_netdma copybreak -1 16777217 x
param_runtime hotdma_netdma inflight_bytes 0 4095 4194305 x
# Read-only parameters cannot be written at all.
for f in /sys/module/hotdma_ioat/parameters/ring_order /sys/module/hotdma_ioat/parameters/interrupt_style; do
	{ echo 3 >"$f"; } 2>/dev/null && bad badinput-sysfs "$f written"
	exercised badinput-sysfs
done

# -- at insmod: every parameter out of range (one finit_module each; no module left) --
# insmod_refused MODULE PARAM=VALUE
insmod_refused() {
	local mod=$1 pv=$2 p=${2%%=*} lines
	dmesg -c >/dev/null
	if /tools/netdma-check insmod $M/$mod.ko "$pv" >/tmp/insmod.out 2>&1; then
		bad badinput-params "$mod $pv loaded"
		rmmod "$mod"
	else
		grep -q "EINVAL" /tmp/insmod.out || bad badinput-params "$mod $pv: $(cat /tmp/insmod.out)"
	fi
	[ -d /sys/module/$mod ] && bad badinput-params "$mod left behind by $pv"
	lines=$(dmesg | grep -c "$p")
	[ "$lines" -ge 1 ] || bad badinput-params "$mod $pv: no log line names $p"
	exercised badinput-params
}
streams_done_unload() {
	rmmod hotdma_netdma && rmmod hotdma_ioat && rmmod hotdma
}
streams_done_unload || bad badinput-params "could not unload the stack for the insmod checks"
insmod_refused hotdma drain_timeout_ms=4294967295
insmod_refused hotdma drain_timeout_ms=x
run insmod $M/hotdma.ko || bad badinput-params "hotdma would not load with defaults"
for pv in ring_order=1 ring_order=17 pending_level=65536 completion_timeout_ms=9 \
	completion_timeout_ms=60001 interrupt_style=bogus selftest=2; do
	insmod_refused hotdma_ioat "$pv"
done
for pv in copybreak=16777217 inflight_bytes=4095 inflight_bytes=4194305; do
	insmod_refused hotdma_netdma "$pv"
done
for pv in iterations=1000000001 test_buf_size=63 threads_per_chan=9 max_channels=65 timeout_ms=9 \
	reacquire_ms=600001 queue_depth=0 queue_depth=1025 threads=65 mode=bogus; do
	insmod_refused hotdma_test "$pv"
done
run insmod $M/hotdma_ioat.ko && run insmod $M/hotdma_netdma.ko ||
	bad badinput-params "the stack would not load again with defaults"
devices_back 2 30 || bad badinput-params "devices not back after reloading"
