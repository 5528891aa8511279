/* SPDX-License-Identifier: GPL-2.0 */
/* shim/irq.c: interrupt handlers, forwarded. */
#ifndef HOTDMA_SHIM_IRQ_H
#define HOTDMA_SHIM_IRQ_H
#include <hotdma/shim/types.h>

/*
 * One requested interrupt, in caller-owned storage that must not move between request and
 * free. The shim's handler (hard-IRQ context) calls fn(ctx): nonzero = IRQ_HANDLED.
 */
struct hotdma_shim_irq {
	int (*fn)(void *ctx);
	void *ctx;
	int irq;
};

HOTDMA_EXTERN_C_BEGIN
/* request_irq(irq, shim handler, shared ? IRQF_SHARED : 0, name, h); @name must outlive it. */
int hotdma_shim_request_irq(struct hotdma_shim_irq *h, int irq, int (*fn)(void *ctx), void *ctx,
			    int shared, const char *name) HOTDMA_NOEXCEPT;
/* free_irq: waits for a running handler. */
void hotdma_shim_free_irq(struct hotdma_shim_irq *h) HOTDMA_NOEXCEPT;
/* irqs_disabled() on this CPU (for checks that a path runs with interrupts enabled). */
int hotdma_shim_irqs_disabled(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
