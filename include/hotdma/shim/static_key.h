/* SPDX-License-Identifier: GPL-2.0 */
/* shim/static_key.c: the core's one static key, forwarded. */
#ifndef HOTDMA_SHIM_STATIC_KEY_H
#define HOTDMA_SHIM_STATIC_KEY_H
#include <hotdma/shim/types.h>

#ifdef __cplusplus
/*
 * A DEFINE_STATIC_KEY_FALSE in shim/static_key.c, exported. C++ only takes its address (for
 * __jump_table entries), so the type stays incomplete here.
 */
struct hotdma_shim_static_key;
extern "C" struct hotdma_shim_static_key hotdma_removal_key;
#endif

HOTDMA_EXTERN_C_BEGIN
/* static_branch_inc/dec: counted, may sleep (takes cpus_read_lock and jump_label_mutex). */
void hotdma_shim_removal_key_inc(void) HOTDMA_NOEXCEPT;
void hotdma_shim_removal_key_dec(void) HOTDMA_NOEXCEPT;
int hotdma_shim_removal_key_enabled(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
