/* SPDX-License-Identifier: GPL-2.0 */
/* shim/memory.c: kernel allocators, forwarded. */
#ifndef HOTDMA_SHIM_MEMORY_H
#define HOTDMA_SHIM_MEMORY_H
#include <hotdma/shim/types.h>

HOTDMA_EXTERN_C_BEGIN
/* Zeroed memory or NULL. */
void *hotdma_shim_kzalloc(hotdma_size size, enum hotdma_gfp gfp) HOTDMA_NOEXCEPT;
void hotdma_shim_kfree(const void *ptr) HOTDMA_NOEXCEPT;
/* Per-CPU memory (zeroed) or NULL; hotdma_shim_per_cpu_ptr() resolves one CPU's copy. */
void *hotdma_shim_alloc_percpu(hotdma_size size, hotdma_size align) HOTDMA_NOEXCEPT;
void hotdma_shim_free_percpu(void *ptr) HOTDMA_NOEXCEPT;
void *hotdma_shim_per_cpu_ptr(void *ptr, int cpu) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
