/* SPDX-License-Identifier: GPL-2.0 */
/* shim/memory.c: kernel allocators, forwarded. */
#ifndef HOTDMA_SHIM_MEMORY_H
#define HOTDMA_SHIM_MEMORY_H
#include <hotdma/shim/types.h>

struct page;

HOTDMA_EXTERN_C_BEGIN
/* Zeroed memory or NULL. */
void *hotdma_shim_kzalloc(hotdma_size size, enum hotdma_gfp gfp) HOTDMA_NOEXCEPT;
void hotdma_shim_kfree(const void *ptr) HOTDMA_NOEXCEPT;
/* Per-CPU memory (zeroed) or NULL; hotdma_shim_per_cpu_ptr() resolves one CPU's copy. */
void *hotdma_shim_alloc_percpu(hotdma_size size, hotdma_size align) HOTDMA_NOEXCEPT;
void hotdma_shim_free_percpu(void *ptr) HOTDMA_NOEXCEPT;
void *hotdma_shim_per_cpu_ptr(void *ptr, int cpu) HOTDMA_NOEXCEPT;
/*
 * Nonzero if [@cpu, @cpu + @size) lies in the kernel's direct map (kmalloc, the page
 * allocator), where virt_to_page works: not vmalloc, not a module's data, not a VMAP stack.
 */
int hotdma_shim_direct_mapped(const void *cpu, hotdma_size size) HOTDMA_NOEXCEPT;
/* page_address(@page): the direct-map address of a (lowmem, so any x86_64) page. */
void *hotdma_shim_page_address(struct page *page) HOTDMA_NOEXCEPT;
/* alloc_page(GFP_KERNEL) / __free_page (tests). */
struct page *hotdma_shim_alloc_page(void) HOTDMA_NOEXCEPT;
void hotdma_shim_free_page(struct page *page) HOTDMA_NOEXCEPT;
/* page_size(@page): bytes of the page, or of the whole compound page if @page is its head. */
hotdma_size hotdma_shim_page_size(struct page *page) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
