# B2 probe (diagnostic, not a test): bench-copy.sh's setup, then for each point the hotdma_ioat
# debugfs channel lines, its /proc/interrupts lines and /proc/stat, around one copy run; also the
# modules' .text addresses and symbols (to symbolise vCPU RIP samples taken through QMP).
#   hotdma.points=stack:size:qd:chans,... hotdma.ms=N hotdma.ioatparams=k=v:k=v
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/bench-lib.sh

POINTS=$(cmdline_arg hotdma.points | tr , ' ')
MS=$(cmdline_arg hotdma.ms)
IP=$(cmdline_arg hotdma.ioatparams | tr : ' ')
b2_devices $IP
echo "driver $(driver_of $intree) $(driver_of $ours)"
for m in hotdma hotdma_ioat hotdma_bench hotdma_soft ioatdma; do echo "@@TEXT $m $(cat /sys/module/$m/sections/.text 2>/dev/null)"; done
grep -E "\[(hotdma|hotdma_ioat|hotdma_bench|ioatdma)\]" /proc/kallsyms | grep -E " [tT] " | sed "s/^/@@SYM /"
show() {
	echo "---- $1"
	grep chan /sys/kernel/debug/hotdma/ioat/*/state | grep -v "issued 3 "
	grep -E "hotdma-ioat" /proc/interrupts | grep -v " 3 .*[^0-9] 0 \| 0 .* 3 "
	head -1 /proc/stat
}
for p in $POINTS; do
	IFS=: read -r stack size qd chans <<EOP
$p
EOP
	show "before $p"
	echo "@@MARK start $p"
	echo "copy $stack $size $qd $chans ${MS:-300} $intree" >$B || echo "bench: copy $p failed"
	echo "@@MARK end $p"
	show "after $p"
done
check unloads unload_bench hotdma_ioat
