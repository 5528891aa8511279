// hotdma_bench.ko: in-kernel benchmarks driven from /sys/kernel/debug/hotdma/bench/control.
// Every result is one kernel log line "hotdma: bench {json}" that bench/run.py collects; the
// guest scripts under scripts/guest/bench-*.sh write the commands. See bench/README.md.
#pragma once
#include <hotdma/client.hpp>
#include <hotdma/debugfs.hpp>
#include <hotdma/rt/atomic.h>
#include <hotdma/rt/new.h>
#include <hotdma/shim/bench.h>
#include <hotdma/shim/log.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/workqueue.h>

namespace hotdma::bench
{

inline constexpr int max_cpus = 64;

// A command's words: "copy hotdma 4096 16 1 500".
struct Args {
	const char *word[8] = {};
	char text[64] = {};
	int count = 0;

	// Splits a NUL-terminated command (at most 63 bytes, the shim's debugfs write limit).
	void parse(const char *buf, usize len);
	// Word i as a non-negative decimal; `fallback` if absent; false if malformed.
	bool number(int i, u64 fallback, u64 *out) const;
	bool is(int i, const char *name) const;
};

bool equal(const char *a, const char *b);

// Sorts v[0..n) (small n: insertion sort) and returns the median.
u64 median(u64 *v, int n);

// Commands (each returns 0 or a negative errno; results go to the kernel log).
int run_hotpath(const Args &a);
int run_removing(const Args &a);
int run_rebalance(const Args &a);
int run_copy(const Args &a, bool async);
int copy_wait();
int copy_stop();
void copy_show(hotdma_shim_seq *seq);

// The channel the hot-path loops use: public-client registration and, if the table is empty,
// a soft device of our own (removed again by release_table_channel).
struct TableChannel {
	bool registered = false;
	int soft_id = -1;
};
int take_table_channel(TableChannel &t);
void release_table_channel(TableChannel &t);

} // namespace hotdma::bench

extern "C" {
// One inline get+put of a client module (this one), not inlined into a caller: the static
// count (bench/static.py) disassembles it next to the core's own hotdma_bench_get_put.
bool hotdma_bench_client_get_put(void) noexcept;
}
