// CPU hotplug registration (include/hotdma/shim/cpuhp.h), the core's module parameter, and the
// stand-in's statistics.
#include "internal.hpp"
#include <hotdma/shim/cpuhp.h>
#include <hotdma/shim/entry.h>
#include <hotdma/shim/params.h>
#include <hotdma/shim/sync.h>

// shim/module_core.c's default.
unsigned int hotdma_drain_timeout_ms = 5000;

namespace
{
bool registered = false; // CPU hotplug lock
}

namespace host
{
bool cpuhp_registered()
{
	return registered;
}
} // namespace host

using namespace host;

// cpuhp_setup_state(CPUHP_AP_ONLINE_DYN): the startup callback runs for every online CPU,
// under the hotplug lock; a failure unwinds the CPUs done so far.
extern "C" int hotdma_shim_cpuhp_register(void) noexcept
{
	cpus_write_lock();
	int rc = 0, c = 0;
	for (; c < state.config.nr_cpus && !rc; c++)
		if (state.cpus[c].online.load())
			rc = hotdma_core_cpu_online(static_cast<unsigned>(c));
	if (rc) {
		for (int d = 0; d < c - 1; d++)
			if (state.cpus[d].online.load())
				hotdma_core_cpu_offline(static_cast<unsigned>(d));
	} else {
		registered = true;
	}
	cpus_write_unlock();
	return rc;
}

// cpuhp_remove_state: the teardown callback runs for every online CPU.
extern "C" void hotdma_shim_cpuhp_unregister(void) noexcept
{
	cpus_write_lock();
	for (int c = 0; c < state.config.nr_cpus; c++)
		if (state.cpus[c].online.load())
			hotdma_core_cpu_offline(static_cast<unsigned>(c));
	registered = false;
	cpus_write_unlock();
}

extern "C" void hotdma_host_get_stats(hotdma_host_stats *out) noexcept
{
	*out = hotdma_host_stats{};
	out->bugs = state.bugs.load();
	out->grace_periods = state.grace_periods.load();
	out->rcu_ipis = state.rcu_ipis.load();
	out->key_patches = state.key_patches.load();
	out->int3_emulated = state.int3_emulated.load();
	out->irqs = state.irqs.load();
	out->allocs_failed = state.allocs_failed.load();
	out->percpu_live = percpu_live();
	out->percpu_corrupt = hotdma_host_percpu_check();
	for (int l = 0; l < 8; l++)
		out->log_lines[l] = state.log_lines[l].load();
}
