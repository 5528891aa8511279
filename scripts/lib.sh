# Common helpers for the hotdma build and test scripts (sourced, not run).
set -euo pipefail

HOTDMA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HOTDMA_CACHE=${HOTDMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hotdma}
HOTDMA_OUT=${HOTDMA_OUT:-$HOTDMA_ROOT/out}
mkdir -p "$HOTDMA_CACHE" "$HOTDMA_OUT"

log() { printf '[hotdma] %s\n' "$*" >&2; }

# die STEP LOGFILE MESSAGE: the one way a step fails, naming the step and its log.
die() {
	local step=$1 logf=$2
	shift 2
	printf '[hotdma] FAILED step "%s": %s\n' "$step" "$*" >&2
	if [ -n "$logf" ] && [ -f "$logf" ]; then
		printf '[hotdma]   log: %s (last lines follow)\n' "$logf" >&2
		tail -n 25 "$logf" | sed 's/^/    | /' >&2
	fi
	exit 1
}

# hash_inputs FILE...: a short stable hash of the content of the named files.
hash_inputs() {
	local f
	for f in "$@"; do
		printf '%s\n' "${f#"$HOTDMA_ROOT"/}"
		cat "$f"
	done | sha256sum | cut -c1-16
}

# mirror_sources SRC DEST: SRC's Kbuild inputs into DEST; objects already in DEST are kept
# (not deleted) so rebuilds are incremental. A file is copied when its content differs and
# then gets the copy's time, not SRC's (no rsync -t): a source edited while a build ran has an
# older time than the object that build made from the old text, and make would keep the stale
# object (seen: a KUnit module built without the case just added).
mirror_sources() {
	rsync -rlD --checksum --delete --prune-empty-dirs \
		--exclude=/out/ --exclude=/.git/ --exclude=/qemu/ --exclude=/tools/ \
		--exclude=/tests/ --exclude=/scripts/ --include='*/' --include=/Kbuild \
		--include=/Makefile --include='*.c' --include='*.cpp' --include='*.h' \
		--include='*.hpp' --exclude='*' "$1/" "$2/"
}

# run_step NAME LOGFILE CMD...: run a step with its output in LOGFILE; fail loudly.
run_step() {
	local name=$1 logf=$2
	shift 2
	mkdir -p "$(dirname "$logf")"
	log "$name (log: $logf)"
	if ! "$@" >"$logf" 2>&1; then
		die "$name" "$logf" "command failed: $*"
	fi
}

# A lock so two runs (e.g. CI and a developer) never build the same cache entry at once.
# Locks nest (a variant's build takes the source's lock): each call has its own descriptor.
with_lock() {
	local lockname=$1 lockfd
	shift
	exec {lockfd}>"$HOTDMA_CACHE/$lockname.lock"
	flock "$lockfd"
	"$@"
	flock -u "$lockfd"
	exec {lockfd}>&-
}
