// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hotdma-netdma: a misc device whose one ioctl is HOTDMA_NETDMA_RECV
 * (include/hotdma/uapi/netdma.h). The glue copies the struct in by copy_struct_from_user()'s
 * rules and the out fields back; the receive itself is hotdma_netdma_recv() (netdma/recv.cpp).
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/compat.h>
#include <hotdma/uapi/netdma.h>
#include <hotdma/shim/chardev.h>

static_assert(sizeof(struct hotdma_netdma_recv) == HOTDMA_NETDMA_RECV_SIZE_V1);
static_assert(HOTDMA_NETDMA_CALL_WAITALL == HOTDMA_NETDMA_WAITALL);
static_assert(HOTDMA_NETDMA_CALL_DONTWAIT == HOTDMA_NETDMA_DONTWAIT);
static_assert(HOTDMA_NETDMA_CALL_CPU_ONLY == HOTDMA_NETDMA_CPU_ONLY);
static_assert(HOTDMA_NETDMA_CALL_FLAGS_KNOWN == HOTDMA_NETDMA_FLAGS_KNOWN);
static_assert(HOTDMA_NETDMA_CALL_FB_COPYBREAK == HOTDMA_NETDMA_FB_COPYBREAK);
static_assert(HOTDMA_NETDMA_CALL_FB_NO_CHANNEL == HOTDMA_NETDMA_FB_NO_CHANNEL);
static_assert(HOTDMA_NETDMA_CALL_FB_OFFLINE == HOTDMA_NETDMA_FB_OFFLINE);
static_assert(HOTDMA_NETDMA_CALL_FB_BUSY == HOTDMA_NETDMA_FB_BUSY);
static_assert(HOTDMA_NETDMA_CALL_FB_ERROR == HOTDMA_NETDMA_FB_ERROR);
static_assert(HOTDMA_NETDMA_CALL_FB_MAP == HOTDMA_NETDMA_FB_MAP);
static_assert(HOTDMA_NETDMA_CALL_FB_CPU_ONLY == HOTDMA_NETDMA_FB_CPU_ONLY);
static_assert(HOTDMA_NETDMA_MAX_RW_COUNT == MAX_RW_COUNT);

/* The out fields, contiguous at the end of v1: written back in one copy. */
#define HOTDMA_NETDMA_OUT_OFFSET offsetof(struct hotdma_netdma_recv, bytes_dma)
#define HOTDMA_NETDMA_OUT_SIZE (HOTDMA_NETDMA_RECV_SIZE_V1 - HOTDMA_NETDMA_OUT_OFFSET)
static_assert(offsetof(struct hotdma_netdma_recv, removals) + sizeof(__u32) ==
	      HOTDMA_NETDMA_RECV_SIZE_V1);

static int hotdma_netdma_put_out(void __user *uarg, const struct hotdma_netdma_call *call)
{
	struct hotdma_netdma_recv r = {
		.bytes_dma = call->bytes_dma,
		.bytes_cpu = call->bytes_cpu,
		.fallbacks = call->fallbacks,
		.removals = call->removals,
	};

	if (copy_to_user(uarg + HOTDMA_NETDMA_OUT_OFFSET, (char *)&r + HOTDMA_NETDMA_OUT_OFFSET,
			 HOTDMA_NETDMA_OUT_SIZE))
		return -EFAULT;
	return 0;
}

static long hotdma_netdma_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct hotdma_netdma_recv r;
	struct hotdma_netdma_call call = { 0 };
	u32 usize;
	long rc;

	if (cmd != HOTDMA_NETDMA_RECV)
		return -ENOTTY;
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < HOTDMA_NETDMA_RECV_SIZE_V1)
		return -EINVAL;
	/* Larger structs must be zero past v1; more than a page is never a real caller. */
	if (usize > PAGE_SIZE)
		return -E2BIG;
	rc = copy_struct_from_user(&r, sizeof(r), uarg, usize);
	if (rc)
		return rc;
	/* The out fields must be writable before any byte leaves the socket. */
	if (hotdma_netdma_put_out(uarg, &call))
		return -EFAULT;
	call.flags = r.flags;
	call.reserved = r.reserved;
	call.fd = r.fd;
	call.buf = r.buf;
	call.len = r.len;
	rc = hotdma_netdma_recv(&call);
	/*
	 * Bytes taken from the socket are the caller's whatever happens to the struct now: a
	 * failed write-back of the counters does not turn the count into an error.
	 */
	if (rc >= 0)
		hotdma_netdma_put_out(uarg, &call);
	return rc;
}

static const struct file_operations hotdma_netdma_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = hotdma_netdma_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice hotdma_netdma_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hotdma-netdma",
	.fops = &hotdma_netdma_fops,
	/* A caller can only reach its own sockets and its own memory. */
	.mode = 0666,
};

int hotdma_shim_netdma_chardev_register(void)
{
	return misc_register(&hotdma_netdma_misc);
}

void hotdma_shim_netdma_chardev_unregister(void)
{
	misc_deregister(&hotdma_netdma_misc);
}
