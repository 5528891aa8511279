# make demo: load what hotdma has and show what it reports.
. /guest/lib.sh

echo "== PCI devices (I/OAT model = 8086:2021)"
for d in /sys/bus/pci/devices/*; do
	echo "$(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") class $(cat "$d/class")"
done
echo "== loading hotdma modules"
for m in hotdma.ko; do
	insmod "/lib/modules/hotdma/$m" && echo "loaded $m"
done
for m in /lib/modules/hotdma/*.ko; do
	case $(basename "$m") in hotdma.ko | *_kunit.ko) continue ;; esac
	insmod "$m" && echo "loaded $(basename "$m")"
done
echo "== /proc/modules"
cat /proc/modules
echo "== kernel messages from hotdma"
dmesg | grep -i hotdma
if [ -d /sys/kernel/debug/hotdma ]; then
	echo "== debugfs /sys/kernel/debug/hotdma"
	find /sys/kernel/debug/hotdma -type f | while read -r f; do
		echo "--- $f"
		cat "$f"
	done
fi
result demo-modules-loaded PASS
