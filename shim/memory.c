// SPDX-License-Identifier: GPL-2.0
/* Kernel allocators for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/mm.h>
#include <hotdma/shim/memory.h>
#include "fault_inject.h"

static gfp_t to_gfp(enum hotdma_gfp gfp)
{
	switch (gfp) {
	case HOTDMA_GFP_ATOMIC:
		return GFP_ATOMIC;
	case HOTDMA_GFP_NOWAIT:
		return GFP_NOWAIT;
	case HOTDMA_GFP_KERNEL:
	default:
		return GFP_KERNEL;
	}
}

void *hotdma_shim_kzalloc(size_t size, enum hotdma_gfp gfp)
{
	if (hotdma_shim_should_fail_alloc(size))
		return NULL;
	return kzalloc(size, to_gfp(gfp));
}
EXPORT_SYMBOL_GPL(hotdma_shim_kzalloc);

void hotdma_shim_kfree(const void *ptr)
{
	kfree(ptr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_kfree);

void *hotdma_shim_alloc_percpu(size_t size, size_t align)
{
	if (hotdma_shim_should_fail_alloc(size))
		return NULL;
	return (void *)__alloc_percpu(size, align);
}
EXPORT_SYMBOL_GPL(hotdma_shim_alloc_percpu);

void hotdma_shim_free_percpu(void *ptr)
{
	free_percpu((void __percpu *)ptr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_free_percpu);

void *hotdma_shim_per_cpu_ptr(void *ptr, int cpu)
{
	return per_cpu_ptr((void __percpu *)ptr, cpu);
}
EXPORT_SYMBOL_GPL(hotdma_shim_per_cpu_ptr);

int hotdma_shim_direct_mapped(const void *cpu, size_t size)
{
	unsigned long start = (unsigned long)cpu;

	if (!size || start + size < start)
		return 0;
	return virt_addr_valid(cpu) && virt_addr_valid((const void *)(start + size - 1));
}
EXPORT_SYMBOL_GPL(hotdma_shim_direct_mapped);

void *hotdma_shim_page_address(struct page *page)
{
	return page_address(page);
}
EXPORT_SYMBOL_GPL(hotdma_shim_page_address);

size_t hotdma_shim_page_size(struct page *page)
{
	return page_size(page);
}
EXPORT_SYMBOL_GPL(hotdma_shim_page_size);

struct page *hotdma_shim_alloc_page(void)
{
	return alloc_page(GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(hotdma_shim_alloc_page);

void hotdma_shim_free_page(struct page *page)
{
	__free_page(page);
}
EXPORT_SYMBOL_GPL(hotdma_shim_free_page);
