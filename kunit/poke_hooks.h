/* SPDX-License-Identifier: GPL-2.0 */
/* The C++ static-branch sites the code-patching KUnit suite executes (kunit/poke_hooks.cpp). */
#ifndef HOTDMA_KUNIT_POKE_HOOKS_H
#define HOTDMA_KUNIT_POKE_HOOKS_H
#include <hotdma/shim/types.h>

HOTDMA_EXTERN_C_BEGIN
/*
 * A public client and one soft device, so that every CPU's table row holds a channel and
 * hotdma_chan_get() reaches its static-branch site. 0, or a negative errno.
 */
int hotdma_poke_test_setup(void) HOTDMA_NOEXCEPT;
void hotdma_poke_test_teardown(void) HOTDMA_NOEXCEPT;
/*
 * One hotdma_chan_get + hotdma_chan_put on this CPU's memcpy channel, the way a client does it,
 * with the removal key's site also read in between. 1 or 0: which way that site went;
 * -ENODEV: get found no channel (the setup did not hold).
 */
int hotdma_poke_test_get_put(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
