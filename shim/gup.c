// SPDX-License-Identifier: GPL-2.0
/* Pinning user pages (FOLL_PIN) and mapping them for the CPU, for netdma/. Forwarding only. */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/uaccess.h>
#include <hotdma/shim/gup.h>

static_assert(HOTDMA_PAGE_SHIFT == PAGE_SHIFT);
static_assert(HOTDMA_PAGE_SIZE == PAGE_SIZE);

int hotdma_shim_access_ok(hotdma_u64 addr, hotdma_u64 len)
{
	return access_ok((const void __user *)(uintptr_t)addr, len);
}

int hotdma_shim_pin_user_pages(hotdma_u64 start, int nr, struct page **pages)
{
	return pin_user_pages_fast(start, nr, FOLL_WRITE, pages);
}

void hotdma_shim_unpin_user_pages_dirty(struct page **pages, unsigned long n)
{
	unpin_user_pages_dirty_lock(pages, n, true);
}

void *hotdma_shim_kmap_local(struct page *page)
{
	return kmap_local_page(page);
}

void hotdma_shim_kunmap_local(void *addr)
{
	kunmap_local(addr);
}
