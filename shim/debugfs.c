// SPDX-License-Identifier: GPL-2.0
/* debugfs files for the C++ side: reads and writes go to hotdma_debugfs_show/write. */
#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/fs.h>
#include <hotdma/shim/debugfs.h>
#include <hotdma/shim/entry.h>

#define AS_DENTRY(d) ((struct dentry *)(d))

static int hotdma_shim_debugfs_show_fn(struct seq_file *m, void *unused)
{
	return hotdma_debugfs_show(m->private, (struct hotdma_shim_seq *)m);
}

static int hotdma_shim_debugfs_open(struct inode *inode, struct file *file)
{
	return single_open(file, hotdma_shim_debugfs_show_fn, inode->i_private);
}

static ssize_t hotdma_shim_debugfs_write_fn(struct file *file, const char __user *ubuf,
					    size_t len, loff_t *pos)
{
	char buf[64];
	size_t n = len;
	long rc;

	/* A command longer than the buffer is refused, never cut short and obeyed. */
	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = '\0';
	rc = hotdma_debugfs_write(file_inode(file)->i_private, buf, n);
	return rc < 0 ? rc : (ssize_t)len;
}

static const struct file_operations hotdma_shim_debugfs_fops = {
	.owner = THIS_MODULE,
	.open = hotdma_shim_debugfs_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = hotdma_shim_debugfs_write_fn,
};

struct hotdma_shim_dentry *hotdma_shim_debugfs_dir(const char *name,
						   struct hotdma_shim_dentry *parent)
{
	return (struct hotdma_shim_dentry *)debugfs_create_dir(name, AS_DENTRY(parent));
}
EXPORT_SYMBOL_GPL(hotdma_shim_debugfs_dir);

void hotdma_shim_debugfs_file(const char *name, struct hotdma_shim_dentry *parent, void *node,
			      int writable)
{
	debugfs_create_file(name, writable ? 0600 : 0400, AS_DENTRY(parent), node,
			    &hotdma_shim_debugfs_fops);
}
EXPORT_SYMBOL_GPL(hotdma_shim_debugfs_file);

void hotdma_shim_debugfs_remove(struct hotdma_shim_dentry *dentry)
{
	debugfs_remove(AS_DENTRY(dentry));
}
EXPORT_SYMBOL_GPL(hotdma_shim_debugfs_remove);

void hotdma_shim_seq_printf(struct hotdma_shim_seq *seq, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	seq_vprintf((struct seq_file *)seq, fmt, args);
	va_end(args);
}
EXPORT_SYMBOL_GPL(hotdma_shim_seq_printf);
