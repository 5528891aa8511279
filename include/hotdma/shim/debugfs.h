/* SPDX-License-Identifier: GPL-2.0 */
/* shim/debugfs.c: /sys/kernel/debug/hotdma/..., forwarded. */
#ifndef HOTDMA_SHIM_DEBUGFS_H
#define HOTDMA_SHIM_DEBUGFS_H
#include <hotdma/shim/types.h>

struct hotdma_shim_dentry;
struct hotdma_shim_seq;

HOTDMA_EXTERN_C_BEGIN
/* A directory under @parent (NULL: debugfs root). Errors are ignored, like debugfs itself. */
struct hotdma_shim_dentry *hotdma_shim_debugfs_dir(const char *name,
						   struct hotdma_shim_dentry *parent)
	HOTDMA_NOEXCEPT;
/*
 * A file whose reads call hotdma_debugfs_show(@node, seq) and whose writes call
 * hotdma_debugfs_write(@node, buf, len) (C++, include/hotdma/shim/entry.h). @node outlives the
 * file: hotdma_shim_debugfs_remove() waits for running reads and writes.
 */
void hotdma_shim_debugfs_file(const char *name, struct hotdma_shim_dentry *parent, void *node,
			      int writable) HOTDMA_NOEXCEPT;
void hotdma_shim_debugfs_remove(struct hotdma_shim_dentry *dentry) HOTDMA_NOEXCEPT;
/* The kernel's seq_printf format (not checked here: checkpatch wants __printf, C++ lacks it). */
void hotdma_shim_seq_printf(struct hotdma_shim_seq *seq, const char *fmt, ...) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
