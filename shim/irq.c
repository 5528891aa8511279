// SPDX-License-Identifier: GPL-2.0
/* Interrupt handlers for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/interrupt.h>
#include <linux/irqflags.h>
#include <hotdma/shim/irq.h>

static irqreturn_t hotdma_shim_irq_handler(int irq, void *data)
{
	struct hotdma_shim_irq *h = data;

	return h->fn(h->ctx) ? IRQ_HANDLED : IRQ_NONE;
}

int hotdma_shim_request_irq(struct hotdma_shim_irq *h, int irq, int (*fn)(void *ctx), void *ctx,
			    int shared, const char *name)
{
	h->fn = fn;
	h->ctx = ctx;
	h->irq = irq;
	return request_irq(irq, hotdma_shim_irq_handler, shared ? IRQF_SHARED : 0, name, h);
}
EXPORT_SYMBOL_GPL(hotdma_shim_request_irq);

void hotdma_shim_free_irq(struct hotdma_shim_irq *h)
{
	free_irq(h->irq, h);
}
EXPORT_SYMBOL_GPL(hotdma_shim_free_irq);

int hotdma_shim_irqs_disabled(void)
{
	return irqs_disabled();
}
EXPORT_SYMBOL_GPL(hotdma_shim_irqs_disabled);
