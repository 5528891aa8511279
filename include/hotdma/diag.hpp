// Diagnostics of the hotdma core for tests and benchmarks (not for production clients).
#pragma once
#include <hotdma/dma.hpp>

namespace hotdma
{

struct CoreStats {
	u64 removals;
	u64 removal_timeouts;
	u64 max_removal_wait_ns;
	u64 last_removal_wait_ns;
	s64 last_removal_holders; // references still held when the last removal gave up waiting
	u64 zombies;              // devices removed with references still held, not yet freed
	u64 live_devices;
};

} // namespace hotdma

extern "C" {
void hotdma_core_stats(hotdma::CoreStats *out) noexcept;
// What `cpu`'s table row holds for `cap` right now (no reference taken: compare only).
hotdma::Channel *hotdma_table_peek(int cpu, hotdma::Cap cap) noexcept;
int hotdma_channel_node(const hotdma::Channel *chan) noexcept;
hotdma::u32 hotdma_channel_id(const hotdma::Channel *chan) noexcept;
hotdma::Device *hotdma_channel_device(const hotdma::Channel *chan) noexcept;
// Sum of the device's per-CPU reference counts, and one CPU's count.
hotdma::s64 hotdma_device_ref_sum(const hotdma::Device *dev) noexcept;
hotdma::s64 hotdma_device_ref_cpu(const hotdma::Device *dev, int cpu) noexcept;
// get+put of a memcpy channel (a constant capability, as in real clients), not inlined: the
// static check (tests/core.py) disassembles it and the benchmark times it.
bool hotdma_bench_get_put(void) noexcept;
}
