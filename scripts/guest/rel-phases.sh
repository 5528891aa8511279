# The phases of the reliability matrix (issue 13), shared by rel-matrix.sh (each once, in
# order) and rel-soak.sh (at random): each exercises one or more classes (rel-lib.sh's
# exercised/bad). They expect rel_setup's state: hotdma, hotdma_ioat (ring_order=7) and
# hotdma_netdma loaded, both model devices registered, streams running, no hotdma_test loaded;
# and leave it so.
MAXERR=1000000
# hotdma.scale=N divides hotdma_test's iterations (the debug kernel is several times slower).
SCALE=$(cmdline_arg hotdma.scale)
SCALE=${SCALE:-1}
it() {
	local n=$(($1 / SCALE))
	[ $n -ge 40 ] || n=40
	echo $n
}
IOATP=/sys/module/hotdma_ioat/parameters
T0=$(cut -d. -f1 /proc/uptime)
say() { echo "@@ reliab $(($(cut -d. -f1 /proc/uptime) - T0))s: $*"; }

# ---- the kernel's own pciehp, no hotdma module loaded (lockdep on the debug kernel) ----
phase_pciehp() {
	say "pciehp: QMP device_del + device_add of ioat1 with no hotdma module"
	if qmp_del 1 && qmp_wait_gone 1 && [ "$(count_devices)" = 1 ] && qmp_add 1 &&
		wait_for count_devices 2 30; then
		exercised pciehp-no-module
	else
		bad pciehp-no-module "ioat1 did not go and come back ($(count_devices) devices)"
	fi
}

# Load the stack and start the streams (RATE bytes/s each, default 2 MB/s).
rel_setup() {
	net_up || return 1
	run insmod $M/hotdma.ko || return 1
	run insmod $M/hotdma_ioat.ko ring_order=7 || return 1
	run insmod $M/hotdma_netdma.ko || return 1
	devices_back 2 30 || { echo "devices: $(count_devices) pci, $(hotdma_devices) core"; return 1; }
	streams_start 2 "${1:-2000000}"
	streams_advance 1000000 60 || bad streams "streams did not start"
	dma_resumes 30 || bad streams "no DMA at the start"
}

# ---- CHANERR read / write / completion-address / descriptor / unattributable, mid-stream ----
# One-shot on every channel of a device: each channel's next descriptor fails (the fault
# reads "none" again once every channel has used it). hotdma_test (table mode) and the
# streams must carry on: errors reported, no failure, nothing lost, DMA again afterwards.
chanerr() {
	local cls=$1 dev=$2 f=$3 i
	# Exclusive mode: hotdma_test has a thread on every channel, so each one-shot fault meets
	# a descriptor (the per-CPU table may hand out only some channels).
	# Armed first: the streams' next descriptors on the device meet it too.
	mark "armed-$cls"
	if ! fault "$dev" -1 "$f"; then
		bad "$cls" "qom-set fault=$f refused"
		return
	fi
	hdt_start "$cls" mode=exclusive iterations=$(it 300) queue_depth=4 max_errors=$MAXERR
	# Counted from the threads' start (the insmod runs in the background and is slow on the
	# debug faults boot); a turn is a QMP round trip plus 0.1 s, so 600 are a hang guard.
	hdt_started 120 || bad "$cls" "hotdma_test did not start its threads within 120 s"
	for i in $(seq 1 600); do
		case $(qom_get "ioat$dev" fault) in *'"none"'*) break ;; esac
		sleep 0.1
	done
	case $(qom_get "ioat$dev" fault) in *'"none"'*) ;; *)
		bad "$cls" "fault $f still armed after 600 polls: not every channel was used"
		fault "$dev" -1 none ;;
	esac
	hdt_wait $(it 300) 8 $MAXERR || bad "$cls" "hotdma_test: $(hdt_out)"
	halts=$(since_mark "armed-$cls" | grep -c "halted at")
	[ "$halts" -ge 4 ] || bad "$cls" "$halts channel halts logged, want one per channel (4)"
	streams_advance 500000 30 || bad "$cls" "streams stuck after $f"
	dma_resumes 30 || bad "$cls" "no DMA after $f"
	say "$cls: $halts halts; $(hdt_out)"
	exercised "$cls"
}
phase_chanerr() {
	chanerr chanerr-read 0 read-error
	chanerr chanerr-write 1 write-error
	chanerr chanerr-completion 0 completion-error
	chanerr chanerr-descriptor 1 descriptor-error
	chanerr chanerr-unaffiliated 0 unaffiliated
}

# ---- a stalled channel ----
phase_stall() {
	hdt_start stall mode=exclusive iterations=0 queue_depth=4 max_errors=$MAXERR reacquire_ms=600000
	hdt_started 120 || bad stall "hotdma_test did not start its threads in 120 s"
	fault 0 -1 stall
	sleep 3
	fault 0 -1 none
	hdt_stop
	hdt_wait 0 8 $MAXERR || bad stall "hotdma_test: $(hdt_out)"; out=$(hdt_out)
	n=$(grep -c "stalled" /tmp/hdt.stall.log)
	[ "$n" -ge 1 ] || bad stall "no watchdog reset logged"
	streams_advance 500000 30 || bad stall "streams stuck"
	dma_resumes 30 || bad stall "no DMA after the stall"
	say "stall: $n watchdog lines; $out"
	exercised stall
}

# ---- a reset that never completes (fault=hang: CHANCMD reset stays set) ----
phase_hang() {
	# Until stopped: still copying when the fault is armed (a fixed count was not: 400 were
	# done in 0.5 s on base, 4000 in 0.9 s on a faster host; the hang then met no
	# descriptor, and ioat1 stayed registered).
	hdt_start hang mode=exclusive iterations=0 queue_depth=4 max_errors=$MAXERR reacquire_ms=600000
	hdt_started 120 || bad reset-hang "hotdma_test did not start its threads in 120 s"
	fault 1 -1 hang
	wait_for hotdma_devices 1 60 || bad reset-hang "ioat1 still registered 60 s after the hang"
	fault 1 -1 none
	hdt_stop
	hdt_wait 0 8 $MAXERR || bad reset-hang "hotdma_test: $(hdt_out)"; out=$(hdt_out)
	say "reset-hang: $(grep -E 'reset|dead' /tmp/hdt.hang.log | head -3 | tr '\n' ' ')"
	sysfs_del 1 && rescan
	devices_back 2 30 || bad reset-hang "ioat1 not back after remove + rescan"
	streams_advance 500000 30 || bad reset-hang "streams stuck"
	exercised reset-hang
}

# ---- a dead device (all-ones), then its removal ----
phase_dead() {
	hdt_start dead mode=exclusive iterations=0 queue_depth=4 max_errors=$MAXERR reacquire_ms=600000
	hdt_started 120 || bad dead "hotdma_test did not start its threads in 120 s"
	fault 0 -1 dead
	wait_for hotdma_devices 1 30 || bad dead "ioat0 still registered 30 s after going dead"
	hdt_stop
	hdt_wait 0 8 $MAXERR || bad dead "hotdma_test: $(hdt_out)"; out=$(hdt_out)
	grep -q "device dead" /tmp/hdt.dead.log || bad dead "no 'device dead' logged"
	ms=$(removal_ms sysfs_del 0)
	fault 0 -1 none
	rescan
	devices_back 2 30 || bad dead "ioat0 not back after remove + rescan"
	dma_resumes 30 || bad dead "no DMA after re-add"
	say "dead: removal of the dead device took $ms ms; $out"
	exercised dead
}

# ---- removal during probe (self-test running) ----
# The self-test's copy on channel 0 is stalled, so probe waits for it; meanwhile the device
# dies (surprise removal), or a QMP device_del arrives. Either way probe fails or finishes,
# nothing leaks, and the device comes back.
phase_probe() {
	sysfs_del 1
	fault 1 0 stall
	mark probe-dead
	rescan &
	rp=$!
	sleep 1
	fault 1 -1 dead
	wait $rp
	since_mark probe-dead | grep -E "hotdma|ioat" | tail -3
	[ "$(hotdma_devices)" = 1 ] || bad probe-removal "a device that died in its self-test registered"
	fault 1 -1 none
	sysfs_del 1 && rescan
	devices_back 2 30 || bad probe-removal "ioat1 not back after dying in probe"
	exercised probe-removal
	sysfs_del 1
	fault 1 0 stall
	rescan &
	rp=$!
	sleep 1
	qmp_del 1
	wait $rp
	qmp_wait_gone 1 || bad probe-removal "device_del during probe: ioat1 never went"
	qmp_add 1
	devices_back 2 30 || bad probe-removal "ioat1 not back after device_del during probe"
	exercised probe-removal
}

# ---- removal with 0 / 1 / many / a full ring in flight ----
# Exclusive hotdma_test threads, one per channel of both devices (until stopped); once they
# hold their channels, ioat1's are stalled, so each of its threads fills its queue
# (queue_depth operations, at most the 127 the ring holds) and ioat1 is removed with them in
# flight. They must be aborted (errors, at most what was in flight), none lost, and the
# threads carry on elsewhere. The stall comes after the channels are handed out, not
# before: the netdma streams are public clients, and one of their copies stuck on a stalled
# channel kept it from being handed out exclusively (5 s drain timeout, -EBUSY: the run got
# 4 threads on ioat0 alone and nothing was in flight at the removal).
phase_inflight() {
	local q want have stop=/sys/module/hotdma_test/parameters/stop
	ms=$(removal_ms sysfs_del 1)
	rescan
	devices_back 2 30 || bad inflight "ioat1 not back (idle removal)"
	say "inflight 0: removal took $ms ms"
	exercised inflight
	cto=$(cat $IOATP/completion_timeout_ms)
	echo 60000 >$IOATP/completion_timeout_ms
	for q in 1 16 128; do
		want=$((q < 127 ? q : 127))
		hdt_start "q$q" mode=exclusive queue_depth=$q iterations=0 test_buf_size=4096 \
			max_errors=$MAXERR reacquire_ms=600000 timeout_ms=600000
		# Its threads set up first (an insmod slowed by a loaded host took > 3 s once).
		for i in $(seq 1 $((300 * SCALE))); do
			since_mark "hdt-q$q" | grep -q "hotdma: test: .* threads," && break
			sleep 0.1
		done
		have=$(since_mark "hdt-q$q" | sed -n 's/.*hotdma: test: \([0-9]*\) threads,.*/\1/p' | head -1)
		[ "$have" = 8 ] || bad inflight "depth $q: ${have:-no} exclusive threads, want 8 (one per channel)"
		fault 1 -1 stall
		# Until every ioat1 channel has its queue in flight (wall clock: slower on debug).
		for i in $(seq 1 $((300 * SCALE))); do
			inflight_min 0000:02:00.0
			[ "$INFLIGHT" -ge "$want" ] && break
			sleep 0.1
		done
		[ "$INFLIGHT" -ge "$want" ] || bad inflight "depth $q: ioat1's channels reached $INFLIGHT in flight, want $want"
		ms=$(removal_ms sysfs_del 1)
		fault 1 -1 none
		# The moved threads copy on ioat0's channels (shared with their holders) for a
		# moment, then the run ends; ioat1 comes back after it (with the run still going,
		# each moved thread's move back to a re-added channel waited for the streams to
		# let go of it: 70 s a depth on the debug kernel).
		sleep $SCALE
		while kill -0 $HDT_PID 2>/dev/null; do
			echo 1 >$stop 2>/dev/null
			sleep 0.2
		done
		hdt_wait 0 8 $((4 * want + 4)) || bad inflight "depth $q: $(hdt_out)"; out=$(hdt_out)
		e=$(hdt_errors "q$q")
		[ "$e" -ge 1 ] || bad inflight "depth $q: nothing was in flight at the removal (0 errors)"
		rescan
		devices_back 2 30 || bad inflight "depth $q: ioat1 not back"
		say "inflight $q: removal took $ms ms with $INFLIGHT+ in flight per ioat1 channel, $e aborted; $out"
		exercised inflight
	done
	echo "$cto" >$IOATP/completion_timeout_ms
}

# phase_cycles N
# ---- remove/rescan cycles: sysfs and QMP alternating, each device and all at once ----
# (make check: 8 on base, 4 on debug; HOTDMA_REL_CYCLES=100 for the 100, see
# tests/reliability.py.)
phase_cycles() {
	# (iterations=0 until the last cycle stalled RCU for 21 s on base: a table-mode thread
	# with no device left spins on the CPU path; fixed count until hotdma_test yields there.)
	hdt_start cycles mode=table iterations=$(it 4000) queue_depth=2 max_errors=$MAXERR
	local d
	for k in $(seq 1 "$1"); do
		# The one-device kinds take ioat0 and ioat1 in turn (sysfs ioat0 + QMP ioat1 in the
		# first four cycles, sysfs ioat1 + QMP ioat0 in the next four, ...).
		d=$(((k / 4) % 2))
		case $((k % 4)) in
		1) sysfs_del $d && rescan ;;
		2) qmp_del $((1 - d)) && qmp_wait_gone $((1 - d)) && qmp_add $((1 - d)) ;;
		3) sysfs_del 0 && sysfs_del 1 && wait_for hotdma_devices 0 30 && rescan ;;
		0) qmp_del 0 && qmp_del 1 && qmp_wait_gone 0 && qmp_wait_gone 1 && qmp_add 0 && qmp_add 1 ;;
		esac || bad cycles "cycle $k: a removal or re-add failed"
		devices_back 2 40 || bad cycles "cycle $k: $(count_devices) pci, $(hotdma_devices) core"
		exercised cycles
	done
	hdt_wait $(it 4000) 2 $MAXERR || bad cycles "hotdma_test: $(hdt_out)"; out=$(hdt_out)
	streams_advance 500000 30 || bad cycles "streams stuck after the cycles"
	dma_resumes 30 || bad cycles "no DMA after the cycles"
	say "cycles: $1 done; $out"
}

# ---- rmmod of each module while clients run: refused, or safe ----
# rmmod_try MOD: "refused" (module still there) or "removed"; never a hang (the rig's
# timeout) or a splat.
phase_rmmod() {
	rmmod_try() {
		if rmmod "$1" 2>/dev/null; then echo removed; else
			[ -d /sys/module/$1 ] && echo refused || echo "failed-and-gone"
		fi
	}
	hdt_start rmmod mode=table iterations=$(it 3000) queue_depth=2 max_errors=$MAXERR
	hdt_started 120 || bad rmmod "hotdma_test did not start its threads in 120 s"
	r_test=$(rmmod_try hotdma_test)
	r_netdma=$(rmmod_try hotdma_netdma)
	r_core=$(rmmod_try hotdma)
	[ "$r_test" = refused ] || bad rmmod "hotdma_test while running: $r_test"
	[ "$r_netdma" = refused ] || bad rmmod "hotdma_netdma with streams open: $r_netdma"
	[ "$r_core" = refused ] || bad rmmod "hotdma with users: $r_core"
	r_ioat=$(rmmod_try hotdma_ioat)
	case $r_ioat in
	removed)
		wait_for hotdma_devices 0 30 || bad rmmod "devices still registered after rmmod hotdma_ioat"
		streams_advance 300000 30 || bad rmmod "streams stuck without a driver"
		run insmod $M/hotdma_ioat.ko ring_order=7 || bad rmmod "insmod hotdma_ioat again failed"
		devices_back 2 30 || bad rmmod "devices not back after insmod"
		;;
	refused) ;;
	*) bad rmmod "hotdma_ioat: $r_ioat" ;;
	esac
	run insmod $M/hotdma_soft.ko && put /sys/kernel/debug/hotdma/soft/control "add 2 -1" ||
		bad rmmod "hotdma_soft did not load"
	sleep 2
	r_soft=$(rmmod_try hotdma_soft)
	case $r_soft in removed | refused) ;; *) bad rmmod "hotdma_soft: $r_soft" ;; esac
	hdt_wait $(it 3000) 2 $MAXERR || bad rmmod "hotdma_test: $(hdt_out)"; out=$(hdt_out)
	[ -d /sys/module/hotdma_soft ] && { rmmod hotdma_soft || bad rmmod "hotdma_soft would not unload once idle"; }
	streams_advance 300000 30 || bad rmmod "streams stuck after the rmmods"
	say "rmmod: test $r_test, netdma $r_netdma, core $r_core, ioat $r_ioat, soft $r_soft; $out"
	exercised rmmod 5
}

# ---- CPU offline/online during traffic from the per-CPU table ----
phase_cpu() {
	hdt_start cpu mode=table iterations=$(it 3000) queue_depth=2 max_errors=$MAXERR
	hdt_started 60 || bad cpu-hotplug "hotdma_test did not count its threads within 60 s"
	for k in $(seq 1 10); do
		put /sys/devices/system/cpu/cpu1/online 0 || bad cpu-hotplug "offline cpu1 failed"
		sleep 0.3
		put /sys/devices/system/cpu/cpu1/online 1 || bad cpu-hotplug "online cpu1 failed"
		sleep 0.3
		exercised cpu-hotplug
	done
	# Both CPUs online again before anything else counts on them (table-mode thread counts).
	cpus_online() { grep -c ^processor /proc/cpuinfo; }
	wait_for cpus_online 2 30 ||
		bad cpu-hotplug "cpu1 not online again: $(cat /sys/devices/system/cpu/online)"
	hdt_wait $(it 3000) 2 $MAXERR || bad cpu-hotplug "hotdma_test: $(hdt_out)"; out=$(hdt_out)
	streams_advance 300000 30 || bad cpu-hotplug "streams stuck"
	say "cpu-hotplug: 10 offline/online loops; $out"
}

# ---- allocation and mapping failures (fault injection) ----
# probe: fail the Nth allocation (hotdma_fail_alloc) or mapping (hotdma_fail_map) of the
# probe, scoped to the task that writes rescan (task-filter + make-it-fail): the probe fails
# or copes, and a clean rescan brings the device back.
# Each class must have injected at least one failure (the fault_attr's times counts them):
# a probe that runs elsewhere than the filtered task, or a path that never reaches the shim,
# would otherwise pass without being tested.
phase_fail() {
	local fired refused n_alloc n_map n_slab n_page
	for attr in hotdma_fail_alloc hotdma_fail_map; do
		fired=0 refused=0
		for nth in $([ "$SCALE" = 1 ] && echo 1 2 3 5 8 13 || echo 1 3); do
			sysfs_del 1
			wait_for hotdma_devices 1 20
			fail_attr $attr verbose 0 task-filter Y probability 100 interval $nth times 1 space 0
			sh -c 'echo 1 >/proc/self/make-it-fail && echo 1 >/sys/bus/pci/rescan'
			fired=$((fired + $(fail_fired $attr 1)))
			fail_off
			wait_for count_devices 2 10
			if [ "$(hotdma_devices)" != 2 ]; then
				# Probe refused: the device is there, unbound; remove it and probe again.
				refused=$((refused + 1))
				sysfs_del 1 && rescan
			fi
			devices_back 2 30 || bad fail-probe "$attr #$nth: ioat1 not back"
			exercised fail-probe
		done
		[ $fired -ge 1 ] || bad fail-probe "$attr: no failure injected in any probe"
		say "fail-probe: $attr injected $fired failures, $refused probes refused"
	done
	# prep and mapping: every hotdma task, 3% of allocations and mappings, during hotdma_test and
	# the streams (whose calls see ENOMEM or fall back to the CPU, and retry).
	e0=$(streams_sum errors)
	hdt_start failprep mode=table iterations=$(it 2000) queue_depth=4 max_errors=$MAXERR
	# Armed once its threads are set up (a set-up that fails is a failure of the run).
	hdt_started 60 || bad fail-prep-map "hotdma_test did not count its threads within 60 s"
	fail_attr hotdma_fail_alloc verbose 0 task-filter N interval 1 times 1000000 probability 3
	fail_attr hotdma_fail_map verbose 0 task-filter N interval 1 times 1000000 probability 3
	hdt_wait $(it 2000) 2 $MAXERR || bad fail-prep-map "hotdma_test: $(hdt_out) (online CPUs $(cat /sys/devices/system/cpu/online))"; out=$(hdt_out)
	n_alloc=$(fail_fired hotdma_fail_alloc 1000000) n_map=$(fail_fired hotdma_fail_map 1000000)
	fail_off
	[ "$n_alloc" -ge 1 ] || bad fail-prep-map "no allocation failure injected"
	[ "$n_map" -ge 1 ] || bad fail-prep-map "no mapping failure injected"
	say "fail-prep-map: injected alloc $n_alloc, map $n_map; hotdma_test errors $(hdt_errors failprep), stream errors +$(($(streams_sum errors) - e0)); $out"
	dma_resumes 30 || bad fail-prep-map "no DMA after the failures stopped"
	exercised fail-prep-map
	# receive: stream 1's receiving thread only; our attrs plus the kernel's failslab (kmalloc
	# caches only, so kmemleak's and debugobjects' own caches never fail) and fail_page_alloc.
	pid=$(cat /tmp/stream.1.pid)
	b0=$(stream_get 1 bytes) e0=$(stream_get 1 errors)
	echo 1 >/proc/$pid/task/$pid/make-it-fail
	fail_attr hotdma_fail_alloc verbose 0 task-filter Y interval 1 times 1000000 probability 20
	fail_attr hotdma_fail_map verbose 0 task-filter Y interval 1 times 1000000 probability 20
	if [ "$KFAIL" = 1 ]; then
		# The kmalloc caches' failslab flag comes from slub_debug=A,kmalloc-* on the
		# command line (read-only in sysfs in 6.1).
		[ "$(cat /sys/kernel/slab/kmalloc-64/failslab 2>/dev/null)" = 1 ] ||
			bad fail-receive "kmalloc caches without failslab (slub_debug=A,kmalloc-* missing from the command line)"
		fail_attr failslab verbose 0 task-filter Y cache-filter Y ignore-gfp-wait N interval 1 \
			times 1000000 probability 5
		fail_attr fail_page_alloc verbose 0 task-filter Y ignore-gfp-wait N ignore-gfp-highmem N \
			min-order 0 interval 1 times 1000000 probability 2
	fi
	# At least 6 s of failures, then until ours (alloc or map) and each of the kernel's two
	# have fired: how many receive calls stream 1 makes in 6 s depends on the guest's speed
	# (the limit is a hang guard).
	sleep 6
	for i in $(seq 1 120); do
		n_alloc=$(fail_fired hotdma_fail_alloc 1000000) n_map=$(fail_fired hotdma_fail_map 1000000)
		n_slab=0 n_page=0
		if [ "$KFAIL" = 1 ]; then
			n_slab=$(fail_fired failslab 1000000) n_page=$(fail_fired fail_page_alloc 1000000)
		fi
		[ $((n_alloc + n_map)) -ge 1 ] && { [ "$KFAIL" != 1 ] || { [ "$n_slab" -ge 1 ] && [ "$n_page" -ge 1 ]; }; } && break
		sleep 1
	done
	fail_off
	echo 0 >/proc/$pid/task/$pid/make-it-fail
	streams_advance 300000 30 || bad fail-receive "streams stuck after the receive failures"
	[ $((n_alloc + n_map)) -ge 1 ] || bad fail-receive "no hotdma allocation or mapping failure injected on the receive path"
	[ "$KFAIL" != 1 ] || [ "$n_slab" -ge 1 ] ||
		bad fail-receive "no failslab failure injected on the receive path"
	[ "$KFAIL" != 1 ] || [ "$n_page" -ge 1 ] ||
		bad fail-receive "no fail_page_alloc failure injected on the receive path"
	say "fail-receive: injected alloc $n_alloc, map $n_map, failslab $n_slab, fail_page_alloc $n_page; stream 1 +$(($(stream_get 1 bytes) - b0)) bytes, +$(($(stream_get 1 errors) - e0)) errors returned"
	exercised fail-receive
}

# phase_fuzz SECONDS
# ---- the ioctl fuzzer (bounded), then nothing left behind ----
phase_fuzz() {
	# The timeout only catches a hang: the storm ends after SECONDS, the drain after it is
	# bounded by the fuzzer's socket buffers, and each call by its 20 s receive timeout.
	timeout $(($1 + 600)) $FZ ioctl --seconds "$1" --seed $$ >/tmp/fuzz.out 2>&1
	frc=$?
	grep "class\|total\|FAIL" /tmp/fuzz.out | head -20
	[ $frc = 0 ] || bad ioctl-fuzz "hotdma-fuzz ioctl exit $frc: $(grep FAIL /tmp/fuzz.out | head -2)"
	exercised ioctl-fuzz "$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' /tmp/fuzz.out)"
	streams_advance 300000 30 || bad ioctl-fuzz "streams stuck after the fuzzer"
}

# Stop the streams: exact, nothing in flight, no pin left.
# ---- end: the streams must be exact; nothing in flight, no pin left ----
rel_end() {
	streams_stop || bad streams "a stream was not exact"
	for i in 1 2; do
		say "stream $i: $(grep 'stream total' /tmp/stream.$i.out)"
	done
	exercised streams
	# The receivers have exited; a batch's last completion and unpin may trail them by moments.
	for i in $(seq 1 100); do
		[ "$(netdma_stat inflight_bytes)" = 0 ] && break
		sleep 0.1
	done
	[ "$(netdma_stat inflight_bytes)" = 0 ] || bad streams "netdma in-flight bytes $(netdma_stat inflight_bytes) 10 s after the streams"
	pins_balanced || bad ioctl-fuzz "page pins leaked: $(pins_balanced)"

	# ---- garbage into every file and parameter we create ----
}

