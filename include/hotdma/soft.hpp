// hotdma_soft.ko: software DMA devices (CPU memcpy on a workqueue) behind the provider API.
// Also driven from /sys/kernel/debug/hotdma/soft/control:
//   add <channels> <node>   register a soft device (prints its id in the kernel log)
//   remove <id>             hot-remove it (hotdma_unregister_device, clients may hold it)
//   fail <id> <n>           the next n transactions of that device fail (TxResult::error)
//   pause <id> <0|1>        stall the device's engine (issued transactions stay queued; a
//                           removal then aborts them)
#pragma once
#include <hotdma/dma.hpp>

extern "C" {
// Process context. The soft device id (>= 0) or a negative errno.
int hotdma_soft_add(hotdma::u32 channels, int numa_node) noexcept;
// Process context; 0, or -ENOENT.
int hotdma_soft_remove(int id) noexcept;
int hotdma_soft_fail_next(int id, hotdma::u32 count) noexcept;
int hotdma_soft_pause(int id, bool paused) noexcept;
// The core device of a soft id (for tests), or nullptr.
hotdma::Device *hotdma_soft_device(int id) noexcept;
// hotdma_soft.ko itself (tests of the module pinning).
struct module *hotdma_soft_owner(void) noexcept;
}
