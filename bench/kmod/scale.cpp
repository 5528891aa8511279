// B5: the time of a full rebuild of the per-CPU channel table, as its callers pay it.
//
// The first public client's hotdma_client_register() fills every CPU's row (rebalance_locked:
// for each possible CPU and capability, a pick over every channel of every live device) and
// the last one's hotdma_client_unregister() empties them again: both are complete rebuilds
// under the CPU hotplug read lock and the core mutex, the same work a device's registration
// or removal does. This module must be the only public client (no other user of the table).
#include "bench.hpp"
#include <hotdma/diag.hpp>
#include <hotdma/shim/percpu.h>

namespace hotdma::bench
{
namespace
{
constexpr int max_samples = 64;
u64 fill_ns[max_samples], empty_ns[max_samples];
} // namespace

int run_rebalance(const Args &a)
{
	u64 n = 0;
	if (!a.number(1, 16, &n) || !n || n > max_samples)
		return -err::inval;
	int count = static_cast<int>(n);
	u32 channels = 0;
	for (int i = 0; i < count; i++) {
		const u64 t0 = hotdma_shim_ktime_ns();
		int rc = hotdma_client_register();
		const u64 t1 = hotdma_shim_ktime_ns();
		if (rc)
			return rc;
		if (i == 0) {
			// Distinct channels the rows now hold (what the table spreads over).
			Channel *seen[max_cpus] = {};
			for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids() && cpu < max_cpus; cpu++) {
				Channel *c = hotdma_table_peek(cpu, Cap::memcpy);
				bool dup = !c;
				for (u32 k = 0; k < channels && !dup; k++)
					dup = seen[k] == c;
				if (!dup)
					seen[channels++] = c;
			}
		}
		hotdma_client_unregister();
		const u64 t2 = hotdma_shim_ktime_ns();
		fill_ns[i] = t1 - t0;
		empty_ns[i] = t2 - t1;
		hotdma_shim_cond_resched();
	}
	const u64 first_fill = fill_ns[0];
	const u64 fill_med = median(fill_ns, count), empty_med = median(empty_ns, count);
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "bench {\"b\":\"rebalance\",\"cpus\":%d,\"possible\":%d,\"n\":%d,"
	                "\"table_channels\":%u,\"fill_min\":%llu,\"fill_med\":%llu,"
	                "\"fill_max\":%llu,\"fill_first\":%llu,\"empty_min\":%llu,"
	                "\"empty_med\":%llu,\"empty_max\":%llu}\n",
	                hotdma_shim_num_online_cpus(), hotdma_shim_nr_cpu_ids(), count, channels,
	                (unsigned long long)fill_ns[0], (unsigned long long)fill_med,
	                (unsigned long long)fill_ns[count - 1], (unsigned long long)first_fill,
	                (unsigned long long)empty_ns[0], (unsigned long long)empty_med,
	                (unsigned long long)empty_ns[count - 1]);
	return 0;
}

} // namespace hotdma::bench
