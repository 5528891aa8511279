/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C++ side of the I/OAT KUnit suite: each hook checks one behaviour of the device-free parts
 * of ioat/ (ring.h, descriptor.h, chanerr.h) and returns 0, or the source line of the first
 * check that failed.
 */
#ifndef HOTDMA_KUNIT_IOAT_HOOKS_H
#define HOTDMA_KUNIT_IOAT_HOOKS_H
#include <hotdma/shim/types.h>

HOTDMA_EXTERN_C_BEGIN
int hotdma_ioat_test_ring_wrap(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_ring_space(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_ring_completion(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_ring_rewind(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_doorbell_wrap(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_copy_split(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_copy_ctl(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_null_fill(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chanerr_data(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chanerr_descriptor(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chanerr_unattributed(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chanerr_names(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chanstatus(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
