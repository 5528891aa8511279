/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C++ side of the I/OAT KUnit suites: each hook checks one behaviour and returns 0, or the
 * source line of the first check that failed. ioat_hooks.cpp: the device-free parts of ioat/
 * (ring.h, descriptor.h, chanerr.h); ioat_channel_hooks.cpp: the channel (channel_impl.h)
 * against a fake register block.
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
int hotdma_ioat_test_corelink(void) HOTDMA_NOEXCEPT;
/* ioat_channel_hooks.cpp: the channel itself against a fake register block. */
int hotdma_ioat_test_chan_submit_retire(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_rearm_outside_lock(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_doorbell_outside_cleanup_lock(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_length_limits(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_ring_wrap(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_error_restart(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_reset_irqs_on(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_unattributed_error(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_completion_error(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_stall(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_long_operation(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_dead_registers(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_reset_timeout(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_dead_submit_order(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_terminate(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_test_chan_terminate_waits_for_issued(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
