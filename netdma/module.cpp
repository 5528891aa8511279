// hotdma_netdma.ko: init/exit, the public-pool registration and the debugfs stats file
// /sys/kernel/debug/hotdma/netdma/stats ("name value" lines, for hotdma-top and the tests).
#include "netdma.hpp"
#include <hotdma/debugfs.hpp>
#include <hotdma/shim/log.h>
#include <hotdma/shim/module_netdma.h>

namespace hotdma::netdma
{

constinit Stats *stats = nullptr;

namespace
{

const char *const fallback_names[fallback_kinds] = {
    "copybreak", "no_channel", "offline", "busy", "error", "map", "cpu_only",
};

struct StatsNode final : DebugNode {
	int show(hotdma_shim_seq *seq) override
	{
		const hotdma_netdma_params p = hotdma_netdma_get_params();
		hotdma_shim_seq_printf(seq,
		                       "calls %llu\nfailed_calls %llu\nbytes_dma %llu\n"
		                       "bytes_cpu %llu\nbatches %llu\ndma_ops %llu\n",
		                       stats->calls.load(), stats->failed_calls.load(),
		                       stats->bytes_dma.load(), stats->bytes_cpu.load(),
		                       stats->batches.load(), stats->dma_ops.load());
		for (u32 i = 0; i < fallback_kinds; i++)
			hotdma_shim_seq_printf(seq, "fallback_%s %llu\n", fallback_names[i],
			                       stats->fallbacks[i].load());
		hotdma_shim_seq_printf(seq,
		                       "removals %llu\ninflight_bytes %lld\ncopybreak %u\n"
		                       "inflight_limit %u\n",
		                       stats->removals.load(), stats->inflight.load(), p.copybreak,
		                       p.inflight_bytes);
		return 0;
	}
};

constinit StatsNode *stats_node = nullptr;
hotdma_shim_dentry *dir = nullptr;

} // namespace
} // namespace hotdma::netdma

using namespace hotdma;
using namespace hotdma::netdma;

extern "C" int hotdma_netdma_module_init() noexcept
{
	stats = new (gfp::kernel) Stats();
	stats_node = new (gfp::kernel) StatsNode();
	if (!stats || !stats_node) {
		destroy(stats_node);
		destroy(stats);
		return -err::nomem;
	}
	// The table hands out channels only while a public client is registered.
	int rc = hotdma_client_register();
	if (rc)
		goto free;
	dir = hotdma_shim_debugfs_dir("netdma", hotdma_core_debugfs_root());
	hotdma_shim_debugfs_file("stats", dir, static_cast<DebugNode *>(stats_node), 0);
	// Last: from here on ioctls arrive.
	rc = hotdma_shim_netdma_chardev_register();
	if (rc)
		goto debugfs;
	hotdma_shim_log(HOTDMA_LOG_INFO, "netdma: /dev/hotdma-netdma ready\n");
	return 0;
debugfs:
	hotdma_shim_debugfs_remove(dir);
	hotdma_client_unregister();
free:
	destroy(stats_node);
	destroy(stats);
	return rc;
}

// No call is running: an open file of the device holds a reference on this module.
extern "C" void hotdma_netdma_module_exit() noexcept
{
	hotdma_shim_netdma_chardev_unregister();
	hotdma_shim_debugfs_remove(dir);
	hotdma_client_unregister();
	destroy(stats_node);
	destroy(stats);
	hotdma_shim_log(HOTDMA_LOG_INFO, "netdma: unloaded\n");
}
