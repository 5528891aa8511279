/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shim/chardev.c: the /dev/hotdma-netdma misc device. The shim copies the ioctl's struct in
 * and out (include/hotdma/uapi/netdma.h, copy_struct_from_user rules) and hands C++ a call in
 * this plain form; the constants below equal the ABI's (checked in shim/chardev.c).
 */
#ifndef HOTDMA_SHIM_CHARDEV_H
#define HOTDMA_SHIM_CHARDEV_H
#include <hotdma/shim/types.h>

#define HOTDMA_NETDMA_CALL_WAITALL (1U << 0)
#define HOTDMA_NETDMA_CALL_DONTWAIT (1U << 1)
#define HOTDMA_NETDMA_CALL_CPU_ONLY (1U << 2)
#define HOTDMA_NETDMA_CALL_FLAGS_KNOWN 0x7U

#define HOTDMA_NETDMA_CALL_FB_COPYBREAK (1U << 0)
#define HOTDMA_NETDMA_CALL_FB_NO_CHANNEL (1U << 1)
#define HOTDMA_NETDMA_CALL_FB_OFFLINE (1U << 2)
#define HOTDMA_NETDMA_CALL_FB_BUSY (1U << 3)
#define HOTDMA_NETDMA_CALL_FB_ERROR (1U << 4)
#define HOTDMA_NETDMA_CALL_FB_MAP (1U << 5)
#define HOTDMA_NETDMA_CALL_FB_CPU_ONLY (1U << 6)

/* MAX_RW_COUNT on x86-64 with 4 KiB pages (checked in shim/chardev.c). */
#define HOTDMA_NETDMA_MAX_RW_COUNT 0x7ffff000ULL

struct hotdma_netdma_call {
	/* in, as the caller passed them (C++ validates flags and reserved) */
	hotdma_u32 flags;
	hotdma_u32 reserved;
	hotdma_s32 fd;
	hotdma_u64 buf;
	hotdma_u64 len;
	/* out, copied back when the call returns >= 0 */
	hotdma_u64 bytes_dma;
	hotdma_u64 bytes_cpu;
	hotdma_u32 fallbacks;
	hotdma_u32 removals;
};

HOTDMA_EXTERN_C_BEGIN
/* misc_register(): the device appears; ioctls may arrive from now on. */
int hotdma_shim_netdma_chardev_register(void) HOTDMA_NOEXCEPT;
void hotdma_shim_netdma_chardev_unregister(void) HOTDMA_NOEXCEPT;
/* Implemented in C++ (netdma/recv.cpp): bytes received, 0 at EOF, or a negative errno. */
long hotdma_netdma_recv(struct hotdma_netdma_call *call) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
