# Several netstream-remove.sh runs in one boot, in turn (the debug kernel: a boot costs about a
# minute under TCG and its final kmemleak scans half a minute more):
#   hotdma.runs=SRC:STREAMS:BYTES:RATE:PHASE:SUFFIX,...   (PHASE in MiB; SUFFIX may be empty)
# Each run reports its own cases (netstream-<SRC><SUFFIX>-*) and unloads the modules at its
# end; the script fails if any run failed.
. /guest/lib.sh

runs=$(cmdline_arg hotdma.runs)
[ -n "$runs" ] || { echo "@@ERROR netstream-remove-runs.sh: no hotdma.runs="; exit 2; }
rc=0
for r in $(echo "$runs" | tr ',' ' '); do
	IFS=: read -r src streams bytes rate phase sfx <<END
$r
END
	echo "== netstream-remove.sh: $src, $streams stream(s) of $bytes at $rate/s, phases of $phase MiB${sfx:+, suffix $sfx}"
	NS_SRC=$src NS_STREAMS=$streams NS_BYTES=$bytes NS_RATE=$rate NS_PHASE=$phase NS_SUFFIX=$sfx \
		sh /guest/netstream-remove.sh || rc=1
done
exit $rc
