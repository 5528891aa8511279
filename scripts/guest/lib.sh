# Guest-side helpers for hotdma test scripts (sourced).

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

# qmp JSON: have the host run a QMP command; prints the host's one-line reply.
# The reply comes back on ttyS1 so it never mixes with kernel output.
QMP_SEQ=0
qmp() {
	QMP_SEQ=$((QMP_SEQ + 1))
	[ -f /tmp/.ttyS1-raw ] || { stty -F /dev/ttyS1 raw -echo 115200 && touch /tmp/.ttyS1-raw; }
	echo "@@QMP $QMP_SEQ $1"
	local line
	while read -r line </dev/ttyS1; do
		case $line in "$QMP_SEQ "*) echo "${line#"$QMP_SEQ" }"; return 0 ;; esac
	done
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
