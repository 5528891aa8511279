// SPDX-License-Identifier: GPL-2.0
/* The per-CPU channel table and CPU/NUMA topology for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/cpumask.h>
#include <linux/topology.h>
#include <linux/nodemask.h>
#include <linux/smp.h>
#include <hotdma/shim/percpu.h>

/* Read %gs-relative by the inline hotdma_chan_get() of every client module. */
DEFINE_PER_CPU(struct hotdma_chan_slots, hotdma_chan_table);
EXPORT_PER_CPU_SYMBOL_GPL(hotdma_chan_table);

struct hotdma_chan_slots *hotdma_shim_chan_table_row(int cpu)
{
	return per_cpu_ptr(&hotdma_chan_table, cpu);
}
EXPORT_SYMBOL_GPL(hotdma_shim_chan_table_row);

int hotdma_shim_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}
EXPORT_SYMBOL_GPL(hotdma_shim_nr_cpu_ids);

int hotdma_shim_cpu_online(int cpu)
{
	return cpu_online(cpu);
}
EXPORT_SYMBOL_GPL(hotdma_shim_cpu_online);

int hotdma_shim_cpu_possible(int cpu)
{
	return cpu_possible(cpu);
}
EXPORT_SYMBOL_GPL(hotdma_shim_cpu_possible);

int hotdma_shim_cpu_to_node(int cpu)
{
	return cpu_to_node(cpu);
}
EXPORT_SYMBOL_GPL(hotdma_shim_cpu_to_node);

int hotdma_shim_smp_processor_id(void)
{
	return raw_smp_processor_id();
}
EXPORT_SYMBOL_GPL(hotdma_shim_smp_processor_id);

int hotdma_shim_num_online_nodes(void)
{
	return num_online_nodes();
}
EXPORT_SYMBOL_GPL(hotdma_shim_num_online_nodes);
