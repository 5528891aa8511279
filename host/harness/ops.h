/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The core's client, provider and diagnostic API, with the inline hot path of
 * include/hotdma/client.hpp, as plain C calls (host/harness/ops.cpp): the tests are hosted C++
 * and cannot include the freestanding hotdma headers next to the standard library.
 *
 * Called from user mode, each call is one system call (hotdma_host_kernel_enter .. _exit: a
 * quiescent state on return); called in kernel mode (a kernel-thread-like loop between
 * hotdma_host_kernel_enter/_exit) it just runs.
 */
#ifndef HOTDMA_HOST_OPS_H
#define HOTDMA_HOST_OPS_H
#include <hotdma/shim/types.h>

HOTDMA_EXTERN_C_BEGIN
struct hh_chan; /* hotdma::Channel */
struct hh_tx;   /* hotdma::Tx */
struct hh_dev;  /* hotdma::Device */

enum { HH_MEMCPY = 0, HH_INTERRUPT = 1, HH_FILL = 2 };          /* hotdma::Cap */
enum { HH_SUCCESS = 0, HH_ERROR = 1, HH_ABORTED = 2 };          /* hotdma::TxResult */
enum { HH_IN_PROGRESS = 0, HH_COMPLETE = 1, HH_FAILED = 2 };    /* hotdma::TxStatus */

/* A transaction's callback: the client embeds this first in its own record. */
struct hh_cb {
	void (*fn)(struct hh_cb *self, unsigned int result);
};

/* The kernel configuration this harness (and the core) was compiled for: "base", "debug" or
 * "stock" (host/Makefile), i.e. which HOTDMA_* flags Kbuild gives client.hpp there. */
const char *hh_kernel_model(void);

/* Module init/exit of hotdma.ko and hotdma_soft.ko (0 or a negative errno). Unloading
 * hotdma_soft is refused (-EBUSY, as rmmod is) while the core pins it. */
int hh_core_load(void);
void hh_core_unload(void);
int hh_soft_load(void);
int hh_soft_unload(void);

/* The inline hot path, exactly as a client compiles it (a constant capability). */
struct hh_chan *hh_get(unsigned int cap);
void hh_put(struct hh_chan *chan);
int hh_hold(struct hh_chan *chan);
/* get+put through the core's own noinline hotdma_bench_get_put (1: a channel was there). */
int hh_bench_get_put(void);

/* Transactions. Addresses are pointers (soft provider: bus address == kernel address). */
int hh_prep(struct hh_chan *chan, unsigned int kind, void *dst, const void *src,
	    hotdma_u8 value, hotdma_u64 length, struct hh_tx **out);
void hh_set_callback(struct hh_tx *tx, struct hh_cb *cb);
int hh_submit(struct hh_tx *tx);
void hh_issue_pending(struct hh_chan *chan);
unsigned int hh_tx_status(struct hh_chan *chan, int cookie);
int hh_wait(struct hh_chan *chan, int cookie, unsigned int timeout_ms);

/* Pool and exclusive channels. */
int hh_client_register(void);
void hh_client_unregister(void);
int hh_request_channel(unsigned int caps, struct hh_chan **out);
void hh_release_channel(struct hh_chan *chan);

/* The soft provider (include/hotdma/soft.hpp). */
int hh_soft_add(unsigned int channels, int numa_node);
int hh_soft_remove(int id);
int hh_soft_pause(int id, int paused);
int hh_soft_fail_next(int id, unsigned int count);
struct hh_dev *hh_soft_device(int id);

/* Diagnostics (include/hotdma/diag.hpp). */
struct hh_core_stats {
	hotdma_u64 removals, removal_timeouts, max_removal_wait_ns, last_removal_wait_ns;
	hotdma_s64 last_removal_holders;
	hotdma_u64 zombies, live_devices, revoked_mappings, pending_frees;
};
void hh_get_core_stats(struct hh_core_stats *out);
struct hh_chan *hh_table_peek(int cpu, unsigned int cap);
unsigned int hh_channel_id(const struct hh_chan *chan);
int hh_channel_node(const struct hh_chan *chan);
struct hh_dev *hh_channel_device(const struct hh_chan *chan);
hotdma_s64 hh_device_ref_sum(const struct hh_dev *dev);
hotdma_s64 hh_device_ref_cpu(const struct hh_dev *dev, int cpu);
int hh_removal_key_enabled(void);
/* client.hpp's read side (kernel mode only: a section spans the two calls). */
void hh_read_side_begin(void);
void hh_read_side_end(void);
HOTDMA_EXTERN_C_END

#endif
