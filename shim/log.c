// SPDX-License-Identifier: GPL-2.0
/* printk and BUG for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/bug.h>
#include <hotdma/shim/log.h>

void hotdma_shim_log(enum hotdma_log_level level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	switch (level) {
	case HOTDMA_LOG_ERR:
		pr_err("hotdma: %pV", &vaf);
		break;
	case HOTDMA_LOG_WARNING:
		pr_warn("hotdma: %pV", &vaf);
		break;
	case HOTDMA_LOG_NOTICE:
		pr_notice("hotdma: %pV", &vaf);
		break;
	case HOTDMA_LOG_DEBUG:
		pr_debug("hotdma: %pV", &vaf);
		break;
	case HOTDMA_LOG_INFO:
	default:
		pr_info("hotdma: %pV", &vaf);
		break;
	}
	va_end(args);
}
EXPORT_SYMBOL_GPL(hotdma_shim_log);

void hotdma_shim_report_bug(const char *what, const char *file, int line)
{
	pr_err("hotdma: broken invariant: %s (%s:%d)\n", what, file, line);
	dump_stack();
}
EXPORT_SYMBOL_GPL(hotdma_shim_report_bug);

void hotdma_shim_bug(void)
{
	BUG();
}
EXPORT_SYMBOL_GPL(hotdma_shim_bug);
