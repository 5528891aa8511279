# Guest-side helpers for hotdma test scripts (sourced).

# cmdline_arg KEY: the value of KEY=value on the kernel command line (empty if absent).
cmdline_arg() {
	local arg
	for arg in $(cat /proc/cmdline); do
		case $arg in "$1"=*) echo "${arg#"$1"=}" ;; esac
	done
}

# result NAME PASS|FAIL [DETAIL]: one counted test case.
result() {
	echo "@@RESULT $1 $2 ${3:-}"
}

# run CMD...: run CMD (a command or a function); when it fails, the whole run fails: the host
# sees "@@RUN-FAILED" on the console and /init turns the guest's exit status non-zero. The
# script goes on, so later cases still report. Returns CMD's status. Every command of a guest
# script that is not itself a case (check/result) goes through run or put.
run() {
	"$@"
	local rc=$?
	[ $rc -eq 0 ] || run_failed "rc=$rc: $*"
	return $rc
}

# put FILE VALUE...: write VALUE to FILE (sysfs, debugfs, procfs); a failing write fails the
# run like run does.
put() {
	local f=$1
	shift
	if ! echo "$*" >"$f"; then
		run_failed "echo '$*' >$f"
		return 1
	fi
}

# run_failed WHAT: record a failed command (to stderr, so it reaches the console even inside
# $(...)); /init reads the file, the host the line.
run_failed() {
	echo "@@RUN-FAILED $*" >&2
	echo "$*" >>/tmp/.run-failed
}

# check NAME CMD...: run CMD, PASS if it succeeds.
check() {
	local name=$1
	shift
	if "$@"; then result "$name" PASS; else result "$name" FAIL "command failed: $*"; fi
}

# ttyS1_request TAG JSON: a request the host serves (TAG QMP: a QMP command; HOST: the host
# helper, scripts/hostnet.py); prints the host's one-line reply on stdout (the request goes
# to the console on stderr, so $(qmp ...) works). The reply comes back on ttyS1, which is
# opened before the request goes out: a reply that arrives while the port is closed is
# dropped by the UART driver. One sequence for every tag, in a file because $(...) is a
# subshell; no request may run while another waits for its reply (both read ttyS1).
ttyS1_request() {
	local seq line
	seq=$(($(cat /tmp/.qmp-seq 2>/dev/null || echo 0) + 1))
	echo $seq >/tmp/.qmp-seq
	[ -f /tmp/.ttyS1-raw ] || { stty -F /dev/ttyS1 raw -echo 115200 && touch /tmp/.ttyS1-raw; }
	{
		echo "@@$1 $seq $2" >&2
		while read -r line; do
			case $line in "$seq "*) echo "${line#"$seq" }"; return 0 ;; esac
		done
	} </dev/ttyS1
	return 1
}

# qmp JSON: have the host run a QMP command (ttyS1_request).
qmp() {
	ttyS1_request QMP "$1"
}

# ktap_module NAME.ko [PARAMS]: insmod a module whose KUnit suites run at load, with markers
# so the host can hand exactly this section to kunit.py parse.
ktap_module() {
	local mod=$1
	shift
	# A kernel without KUnit (stock): the host expects no KTAP from this run (without_kunit).
	if [ "$(cmdline_arg hotdma.kunit)" = 0 ]; then
		echo "ktap_module: $mod not loaded (hotdma.kunit=0: this kernel has no KUnit)"
		return 0
	fi
	echo "@@KTAP-BEGIN $mod"
	insmod "/lib/modules/hotdma/$mod" "$@"
	local rc=$?
	echo "@@KTAP-END $mod"
	return $rc
}

# ktap_unload NAME: rmmod (through run) of a module ktap_module loaded; nothing where
# ktap_module loads nothing (hotdma.kunit=0).
ktap_unload() {
	[ "$(cmdline_arg hotdma.kunit)" = 0 ] && return 0
	run rmmod "$1"
}

load_intree_ioat() {
	run insmod /lib/modules/intree/dca.ko &&
		run insmod /lib/modules/intree/ioatdma.ko "$@"
}

# qmp_run JSON: qmp for a command that must succeed: prints QEMU's reply; one that is not a
# "return" fails the run.
qmp_run() {
	local reply
	reply=$(qmp "$1")
	echo "$reply"
	case $reply in *'"return"'*) return 0 ;; esac
	run_failed "QMP $1: $reply"
	return 1
}

# qmp_device_gone ID: 0 when QEMU says the device with id ID does not exist (DeviceNotFound),
# 1 while it exists; anything else (a rig error, another QMP error) fails the run and
# returns 2, so a loop waiting for a removal never takes a broken rig for a removed device.
qmp_device_gone() {
	local reply
	reply=$(qmp "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/$1\",\"property\":\"type\"}}")
	case $reply in
	*'"class": "DeviceNotFound"'*) return 0 ;;
	*'"return"'*) return 1 ;;
	esac
	run_failed "qom-get of $1: unexpected reply: $reply"
	return 2
}
