/* SPDX-License-Identifier: GPL-2.0 */
/* shim/log.c: printk and BUG, forwarded. */
#ifndef HOTDMA_SHIM_LOG_H
#define HOTDMA_SHIM_LOG_H
#include <hotdma/shim/types.h>

enum hotdma_log_level {
	HOTDMA_LOG_ERR = 3,
	HOTDMA_LOG_WARNING = 4,
	HOTDMA_LOG_NOTICE = 5,
	HOTDMA_LOG_INFO = 6,
	HOTDMA_LOG_DEBUG = 7,
};

HOTDMA_EXTERN_C_BEGIN
/* printk at @level with the "hotdma: " prefix; the format is the kernel's. */
void hotdma_shim_log(enum hotdma_log_level level, const char *fmt, ...) HOTDMA_NOEXCEPT
	__attribute__((format(printf, 2, 3)));
/* WARN_ONCE-free report of a broken invariant: logs and dumps the stack, never stops. */
void hotdma_shim_report_bug(const char *what, const char *file, int line) HOTDMA_NOEXCEPT;
/*
 * The kernel's BUG(): for states that cannot be survived (e.g. a pure virtual call). Not
 * declared noreturn on purpose: objtool does not know this function, and a C++ caller ending in
 * an unknown noreturn call is reported as falling off the end of its section.
 */
void hotdma_shim_bug(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
