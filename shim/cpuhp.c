// SPDX-License-Identifier: GPL-2.0
/* CPU hotplug callbacks, forwarded to the core's table rebalance. */
#include <linux/module.h>
#include <linux/cpuhotplug.h>
#include <hotdma/shim/cpuhp.h>
#include <hotdma/shim/entry.h>

static enum cpuhp_state hotdma_cpuhp_state;

static int hotdma_shim_cpu_online_fn(unsigned int cpu)
{
	return hotdma_core_cpu_online(cpu);
}

static int hotdma_shim_cpu_offline_fn(unsigned int cpu)
{
	return hotdma_core_cpu_offline(cpu);
}

int hotdma_shim_cpuhp_register(void)
{
	int rc = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hotdma:online",
				   hotdma_shim_cpu_online_fn, hotdma_shim_cpu_offline_fn);

	if (rc < 0)
		return rc;
	hotdma_cpuhp_state = rc;
	return 0;
}

void hotdma_shim_cpuhp_unregister(void)
{
	cpuhp_remove_state(hotdma_cpuhp_state);
}
