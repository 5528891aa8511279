/* SPDX-License-Identifier: GPL-2.0 */
/* host/bench/loops.cpp: the measured loops (C, for the hosted drivers). */
#ifndef HOTDMA_HOST_LOOPS_H
#define HOTDMA_HOST_LOOPS_H
#include <hotdma/shim/types.h>

HOTDMA_EXTERN_C_BEGIN
hotdma_u64 hb_loop_empty(hotdma_u64 n);
hotdma_u64 hb_loop_get_put(hotdma_u64 n);
hotdma_u64 hb_loop_get_put_call(hotdma_u64 n);
hotdma_u64 hb_loop_uncounted(hotdma_u64 n);
hotdma_u64 hb_loop_shared_atomic(hotdma_u64 n);
hotdma_u64 hb_loop_per_thread(hotdma_u64 n, hotdma_s64 *counter);
HOTDMA_EXTERN_C_END

#endif
