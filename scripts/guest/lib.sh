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

# check NAME CMD...: run CMD, PASS if it succeeds.
check() {
	local name=$1
	shift
	if "$@"; then result "$name" PASS; else result "$name" FAIL "command failed: $*"; fi
}

# qmp JSON: have the host run a QMP command; prints the host's one-line reply on stdout (the
# request goes to the console on stderr, so $(qmp ...) works). The reply comes back on ttyS1,
# which is opened before the request goes out: a reply that arrives while the port is closed
# is dropped by the UART driver. Sequence numbers live in a file because $(...) is a subshell.
qmp() {
	local seq line
	seq=$(($(cat /tmp/.qmp-seq 2>/dev/null || echo 0) + 1))
	echo $seq >/tmp/.qmp-seq
	[ -f /tmp/.ttyS1-raw ] || { stty -F /dev/ttyS1 raw -echo 115200 && touch /tmp/.ttyS1-raw; }
	{
		echo "@@QMP $seq $1" >&2
		while read -r line; do
			case $line in "$seq "*) echo "${line#"$seq" }"; return 0 ;; esac
		done
	} </dev/ttyS1
	return 1
}

# ktap_module NAME.ko [PARAMS]: insmod a module whose KUnit suites run at load, with markers
# so the host can hand exactly this section to kunit.py parse.
ktap_module() {
	local mod=$1
	shift
	echo "@@KTAP-BEGIN $mod"
	insmod "/lib/modules/hotdma/$mod" "$@"
	local rc=$?
	echo "@@KTAP-END $mod"
	return $rc
}

load_intree_ioat() {
	insmod /lib/modules/intree/dca.ko 2>/dev/null
	insmod /lib/modules/intree/ioatdma.ko "$@"
}
