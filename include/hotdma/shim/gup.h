/* SPDX-License-Identifier: GPL-2.0 */
/* shim/gup.c: pinning user pages and mapping them for the CPU, forwarded (for netdma/). */
#ifndef HOTDMA_SHIM_GUP_H
#define HOTDMA_SHIM_GUP_H
#include <hotdma/shim/types.h>

struct page;

/* PAGE_SIZE on x86-64 (checked in shim/gup.c). */
#define HOTDMA_PAGE_SHIFT 12
#define HOTDMA_PAGE_SIZE (1UL << HOTDMA_PAGE_SHIFT)

HOTDMA_EXTERN_C_BEGIN
/* access_ok(): [addr, addr + len) lies in the user address range. */
int hotdma_shim_access_ok(hotdma_u64 addr, hotdma_u64 len) HOTDMA_NOEXCEPT;
/*
 * pin_user_pages_fast(@start, @nr, FOLL_WRITE): FOLL_PIN references on the current process's
 * pages, so a fork() copies them for the child instead of sharing them (the parent keeps the
 * page the engine writes). The number pinned (may be fewer than @nr), or a negative errno.
 */
int hotdma_shim_pin_user_pages(hotdma_u64 start, int nr, struct page **pages) HOTDMA_NOEXCEPT;
/* unpin_user_pages_dirty_lock(pages, n, true). */
void hotdma_shim_unpin_user_pages_dirty(struct page **pages, unsigned long n) HOTDMA_NOEXCEPT;
/* kmap_local_page() / kunmap_local(). */
void *hotdma_shim_kmap_local(struct page *page) HOTDMA_NOEXCEPT;
void hotdma_shim_kunmap_local(void *addr) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
