/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the C shim and the C++ side. No kernel headers: fixed-width types come from
 * the compiler, so the same header compiles in the kernel (C) and in freestanding C++.
 */
#ifndef HOTDMA_SHIM_TYPES_H
#define HOTDMA_SHIM_TYPES_H

#ifdef __cplusplus
#define HOTDMA_EXTERN_C_BEGIN extern "C" {
#define HOTDMA_EXTERN_C_END }
#define HOTDMA_NOEXCEPT noexcept
#else
#define HOTDMA_EXTERN_C_BEGIN
#define HOTDMA_EXTERN_C_END
#define HOTDMA_NOEXCEPT
#endif

typedef __UINT8_TYPE__ hotdma_u8;
typedef __UINT16_TYPE__ hotdma_u16;
typedef __UINT32_TYPE__ hotdma_u32;
typedef __UINT64_TYPE__ hotdma_u64;
typedef __INT32_TYPE__ hotdma_s32;
typedef __INT64_TYPE__ hotdma_s64;
typedef __SIZE_TYPE__ hotdma_size;

/* Allocation context, mapped to gfp_t by shim/memory.c. */
enum hotdma_gfp {
	HOTDMA_GFP_KERNEL = 0, /* may sleep */
	HOTDMA_GFP_ATOMIC = 1, /* any context, may fail */
	HOTDMA_GFP_NOWAIT = 2, /* no sleep, no reserves */
};

#endif
