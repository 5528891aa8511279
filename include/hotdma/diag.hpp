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
	u64 zombies;    // devices removed with references still held (any kind), not yet freed
	u64 parked;     // ... of which late per-CPU holders are polled for (remove.cpp)
	u64 leaked;     // devices kept after an underflow until hotdma unloads (not zombies)
	u64 underflows; // reference count underflows (a client put more than it got)
	u64 live_devices;
	u64 revoked_mappings; // mappings a removal unmapped because their client had not
	u64 pending_frees;    // devices whose last reference went, freed after a grace period
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
// A Mapping's state (before hotdma_unmap): true once its device's removal unmapped it.
bool hotdma_mapping_revoked(const hotdma::Mapping *m) noexcept;
// Mappings currently live on the device, and the DeviceInfo it registered with.
hotdma::u32 hotdma_device_live_mappings(hotdma::Device *dev) noexcept;
struct device *hotdma_channel_dma_device(const hotdma::Channel *chan) noexcept;
// module_refcount of the device's provider module (tests of the pinning).
int hotdma_device_module_refcount(const hotdma::Device *dev) noexcept;
// Test hook: make `next` the channel's next cookie (to test the wrap after 0x7fffffff and the
// status window). 0, or -EBUSY if transactions are in flight on it, -EINVAL if next <= 0.
int hotdma_debug_set_next_cookie(hotdma::Channel *chan, hotdma::Cookie next) noexcept;
// get+put of a memcpy channel (a constant capability, as in real clients), not inlined: the
// static check (tests/core.py) disassembles it and the benchmark times it.
bool hotdma_bench_get_put(void) noexcept;
}
