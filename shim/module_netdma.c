// SPDX-License-Identifier: GPL-2.0
/*
 * Module glue of hotdma_netdma.ko: parameters (validated), init/exit, module metadata.
 *
 * Validation: a value out of range makes insmod fail with -EINVAL and one log line naming the
 * parameter and its range (the check runs in init, so the kernel's generic "invalid for
 * parameter" line does not double it); a write to a 0644 parameter of the loaded module is
 * refused with -EINVAL and the same line.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <hotdma/shim/module_netdma.h>

static unsigned int copybreak = 4096;
static unsigned int inflight_bytes = 256 << 10;
static bool hotdma_netdma_live; /* init validated the load-time values */

struct hotdma_netdma_range {
	const char *name;
	unsigned int min, max;
};

static const struct hotdma_netdma_range copybreak_range = {
	"copybreak", 0, HOTDMA_NETDMA_COPYBREAK_MAX
};
static const struct hotdma_netdma_range inflight_range = {
	"inflight_bytes", HOTDMA_NETDMA_INFLIGHT_MIN, HOTDMA_NETDMA_INFLIGHT_MAX
};

static int hotdma_netdma_check(const struct hotdma_netdma_range *r, unsigned int v)
{
	if (v >= r->min && v <= r->max)
		return 0;
	pr_err("hotdma_netdma: parameter %s=%u out of range %u..%u\n", r->name, v, r->min,
	       r->max);
	return -EINVAL;
}

static int hotdma_netdma_param_set(const char *val, const struct kernel_param *kp)
{
	const struct hotdma_netdma_range *r = kp->arg == &copybreak ? &copybreak_range :
								     &inflight_range;
	unsigned int v;
	int rc = kstrtouint(val, 0, &v);

	if (rc)
		return rc;
	if (READ_ONCE(hotdma_netdma_live) && hotdma_netdma_check(r, v))
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops hotdma_netdma_param_ops = {
	.set = hotdma_netdma_param_set,
	.get = param_get_uint,
};

module_param_cb(copybreak, &hotdma_netdma_param_ops, &copybreak, 0644);
MODULE_PARM_DESC(copybreak,
		 "a batch shorter than this many bytes is copied by the CPU, 0..16777216 (default 4096, as NET_DMA)");
module_param_cb(inflight_bytes, &hotdma_netdma_param_ops, &inflight_bytes, 0644);
MODULE_PARM_DESC(inflight_bytes,
		 "bytes one receive call has under copy at once, 4096..4194304 (default 262144)");

struct hotdma_netdma_params hotdma_netdma_get_params(void)
{
	struct hotdma_netdma_params p = {
		.copybreak = READ_ONCE(copybreak),
		.inflight_bytes = READ_ONCE(inflight_bytes),
	};
	return p;
}

static int __init hotdma_netdma_init(void)
{
	int rc;

	if (hotdma_netdma_check(&copybreak_range, copybreak) ||
	    hotdma_netdma_check(&inflight_range, inflight_bytes))
		return -EINVAL;
	WRITE_ONCE(hotdma_netdma_live, true);
	rc = hotdma_netdma_module_init();
	if (rc)
		WRITE_ONCE(hotdma_netdma_live, false);
	return rc;
}

static void __exit hotdma_netdma_exit(void)
{
	hotdma_netdma_module_exit();
}

module_init(hotdma_netdma_init);
module_exit(hotdma_netdma_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma: TCP receive-copy offload into pinned user pages (/dev/hotdma-netdma)");
MODULE_AUTHOR("hotdma developers");
