// SPDX-License-Identifier: GPL-2.0
/* The core's static key ("some device is being removed"). Forwarding only. */
#include <linux/module.h>
#include <linux/jump_label.h>
#include <linux/kconfig.h>
#include <hotdma/shim/static_key.h>

/* The inline C++ hot path emits __jump_table entries in the format of this configuration. */
#if IS_ENABLED(CONFIG_HAVE_JUMP_LABEL_HACK) ? !HOTDMA_JUMP_LABEL_HACK : HOTDMA_JUMP_LABEL_HACK
#error "HOTDMA_JUMP_LABEL_HACK disagrees with the kernel configuration"
#endif
/* The inline read side (include/hotdma/client.hpp) is a preempt-count increment exactly here. */
#if IS_ENABLED(CONFIG_PREEMPT_COUNT) ? !HOTDMA_PREEMPT_COUNT : HOTDMA_PREEMPT_COUNT
#error "HOTDMA_PREEMPT_COUNT disagrees with the kernel configuration"
#endif
/* ... and its end checks need-resched folded into __preempt_count exactly here. */
#if IS_ENABLED(CONFIG_PREEMPTION) ? !HOTDMA_PREEMPTION : HOTDMA_PREEMPTION
#error "HOTDMA_PREEMPTION disagrees with the kernel configuration"
#endif
/* ... and calls __preempt_schedule()'s target the way asm/preempt.h does exactly here. */
#if IS_ENABLED(CONFIG_PREEMPT_DYNAMIC) ? !HOTDMA_PREEMPT_DYNAMIC : HOTDMA_PREEMPT_DYNAMIC
#error "HOTDMA_PREEMPT_DYNAMIC disagrees with the kernel configuration"
#endif
#if IS_ENABLED(CONFIG_PREEMPT_DYNAMIC) && !IS_ENABLED(CONFIG_HAVE_PREEMPT_DYNAMIC_CALL)
#error "PREEMPT_DYNAMIC without static calls: __preempt_schedule() is not a call here"
#endif
#if IS_ENABLED(CONFIG_PREEMPTION) && !IS_ENABLED(CONFIG_PREEMPT_COUNT)
#error "CONFIG_PREEMPTION without CONFIG_PREEMPT_COUNT: the read side would be empty"
#endif
#if !IS_ENABLED(CONFIG_JUMP_LABEL) || !IS_ENABLED(CONFIG_X86_64) || !IS_ENABLED(CONFIG_SMP)
#error "the inline hot path needs x86_64 SMP jump labels (%gs per-CPU and __jump_table)"
#endif

/* The C++ side emits 8-byte __jump_table key fields and %gs-relative 8-byte per-CPU loads. */
static_assert(sizeof(void *) == 8);

DEFINE_STATIC_KEY_FALSE(hotdma_removal_key);
EXPORT_SYMBOL_GPL(hotdma_removal_key);

void hotdma_shim_removal_key_inc(void)
{
	static_branch_inc(&hotdma_removal_key);
}
EXPORT_SYMBOL_GPL(hotdma_shim_removal_key_inc);

void hotdma_shim_removal_key_dec(void)
{
	static_branch_dec(&hotdma_removal_key);
}
EXPORT_SYMBOL_GPL(hotdma_shim_removal_key_dec);

int hotdma_shim_removal_key_enabled(void)
{
	return static_key_enabled(&hotdma_removal_key);
}
EXPORT_SYMBOL_GPL(hotdma_shim_removal_key_enabled);
