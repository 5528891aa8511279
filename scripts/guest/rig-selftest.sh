# The rig's own checks, broken on purpose (tests/rig.py): each mode makes the host see
# problems it must report (Test.expect_problems), so a check that stops working fails here.
#   hotdma.selftest=rules    cases missing / not expected / twice, failing run and put, a rig
#                            error on a QMP request, a late kernel message after the script
#   hotdma.selftest=partial  the console's last line has no newline and the VM ends at once
. /guest/lib.sh

mode=$(cmdline_arg hotdma.selftest)
case $mode in
rules)
	result selftest-expected PASS
	result selftest-unexpected PASS "not in the expect list"
	result selftest-twice PASS
	result selftest-twice PASS
	# selftest-missing: expected, never reported.
	run false
	put /proc/hotdma-no-such-file 1
	# A request the host cannot serve: the reply must be neither "return" nor "error".
	reply=$(qmp '{"execute": not json')
	case $reply in
	*'"return"'* | *'"error"'*) result selftest-rig-error-reply FAIL "$reply" ;;
	*'"rig-error"'*) result selftest-rig-error-reply PASS "$reply" ;;
	*) result selftest-rig-error-reply FAIL "no rig-error reply: '$reply'" ;;
	esac
	# Printed by the kernel 1 s after this script ended, while the guest settles.
	(sleep 1; echo "<4>WARNING: hotdma rig self-test: a message after the last command" >/dev/kmsg) &
	;;
partial)
	# No kernel message may reach the console from here on: it would end the line (a fixed
	# 3 s wait for the last boot messages was a guess about the host's speed).
	dmesg -n 1
	printf 'WARNING: hotdma rig self-test: a last line without newline'
	sleep 1         # let the UART send it; nothing else is printed before the VM ends
	/bin/guest-exit 0
	;;
*)
	result selftest-mode FAIL "unknown hotdma.selftest=$mode"
	;;
esac
