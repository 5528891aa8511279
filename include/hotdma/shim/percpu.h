/* SPDX-License-Identifier: GPL-2.0 */
/* shim/percpu.c: the per-CPU channel table, CPU/NUMA topology, forwarded. */
#ifndef HOTDMA_SHIM_PERCPU_H
#define HOTDMA_SHIM_PERCPU_H
#include <hotdma/shim/types.h>

/* Slots per CPU; the capabilities in use are hotdma::cap_count (<= this). */
#define HOTDMA_TABLE_SLOTS 4

/* One CPU's row of the channel table: a hotdma::Channel * per capability, or NULL. */
struct hotdma_chan_slots {
	void *slot[HOTDMA_TABLE_SLOTS];
};

HOTDMA_EXTERN_C_BEGIN
/*
 * The table is a per-CPU variable of hotdma.ko: clients read their own CPU's row %gs-relative
 * (include/hotdma/client.hpp); only the core writes rows, under its mutex.
 */
extern struct hotdma_chan_slots hotdma_chan_table;
struct hotdma_chan_slots *hotdma_shim_chan_table_row(int cpu) HOTDMA_NOEXCEPT;
int hotdma_shim_nr_cpu_ids(void) HOTDMA_NOEXCEPT;
int hotdma_shim_cpu_online(int cpu) HOTDMA_NOEXCEPT;
int hotdma_shim_cpu_possible(int cpu) HOTDMA_NOEXCEPT;
int hotdma_shim_cpu_to_node(int cpu) HOTDMA_NOEXCEPT;
int hotdma_shim_smp_processor_id(void) HOTDMA_NOEXCEPT;
int hotdma_shim_num_online_nodes(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
