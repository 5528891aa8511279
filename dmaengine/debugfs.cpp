// /sys/kernel/debug/hotdma/: one directory per device (state, per-CPU references) with one
// per channel (state, clients, bytes, operations, errors), plus the table and core stats.
#include "core.hpp"
#include <hotdma/shim/entry.h>
#include <hotdma/shim/percpu.h>

namespace hotdma
{
namespace
{
const char *state_name(DeviceState s)
{
	switch (s) {
	case DeviceState::live:
		return "live";
	case DeviceState::quiescing:
		return "quiescing";
	case DeviceState::offline:
		return "offline";
	}
	return "?";
}

struct CoreNode final : DebugNode {
	int show(hotdma_shim_seq *seq) override
	{
		hotdma_shim_mutex_lock(&core->mutex);
		hotdma_shim_seq_printf(seq,
		                       "public_clients %u\nremovals %lu\nremoval_timeouts %lu\n"
		                       "max_removal_wait_us %lu\n",
		                       core->public_clients, core->removals.load(),
		                       core->removal_timeouts.load(),
		                       core->max_removal_wait_ns.load() / 1000);
		for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++) {
			if (!hotdma_shim_cpu_possible(cpu))
				continue;
			hotdma_shim_seq_printf(seq, "cpu%d node%d:", cpu,
			                       hotdma_shim_cpu_to_node(cpu));
			for (u32 cap = 0; cap < cap_count; cap++) {
				auto *ch = hotdma_table_peek(cpu, static_cast<Cap>(cap));
				if (ch)
					hotdma_shim_seq_printf(seq, " chan%u", ch->id);
				else
					hotdma_shim_seq_printf(seq, " -");
			}
			hotdma_shim_seq_printf(seq, "\n");
		}
		hotdma_shim_mutex_unlock(&core->mutex);
		return 0;
	}
};
constinit CoreNode *core_node = nullptr;
} // namespace

int Device::debug_show(hotdma_shim_seq *seq)
{
	hotdma_shim_seq_printf(seq, "name %s\nid %u\nstate %s\nnode %d\ncaps %#x\nchannels %u\n",
	                       name, id, state_name(read_once(state)), numa_node, caps,
	                       channel_count);
	hotdma_shim_seq_printf(seq, "refs %ld\n", ref_sum());
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++)
		if (hotdma_shim_cpu_possible(cpu))
			hotdma_shim_seq_printf(seq, "refs_cpu%d %ld\n", cpu,
			                       hotdma_device_ref_cpu(this, cpu));
	return 0;
}

int Channel::debug_show(hotdma_shim_seq *seq)
{
	hotdma_shim_seq_printf(
	    seq,
	    "id %u\nindex %u\nstate %s\nexclusive %d\n"
	    "cpus_using memcpy %u interrupt %u fill %u\n"
	    "completed_cookie %d\nbytes %lu\noperations %lu\nerrors %lu\n"
	    "aborted %lu\nbusy %lu\nunmaps %lu\n",
	    id, index, read_once(offline) ? "offline" : state_name(device->state),
	    exclusive ? 1 : 0, read_once(table_count[0]), read_once(table_count[1]),
	    read_once(table_count[2]), completed_cookie.load(), bytes.load(), operations.load(),
	    errors.load(), aborted.load(), busy.load(), unmaps.load());
	return 0;
}

void debugfs_add_device(Device &dev)
{
	dev.dir = hotdma_shim_debugfs_dir(dev.name, core->root);
	hotdma_shim_debugfs_file("state", dev.dir, static_cast<DebugNode *>(&dev.debug), 0);
	for (u32 i = 0; i < dev.channel_count; i++) {
		Channel *ch = dev.channels[i];
		char name[16] = "chan";
		u32 id = ch->id, pos = 4;
		char digits[8];
		u32 n = 0;
		do {
			digits[n++] = char('0' + id % 10);
			id /= 10;
		} while (id);
		while (n)
			name[pos++] = digits[--n];
		ch->dir = hotdma_shim_debugfs_dir(name, dev.dir);
		hotdma_shim_debugfs_file("state", ch->dir, static_cast<DebugNode *>(&ch->debug), 0);
	}
}

// Waits for readers of the device's files (debugfs removal does).
void debugfs_remove_device(Device &dev)
{
	hotdma_shim_debugfs_remove(dev.dir);
	dev.dir = nullptr;
}

Result<void> debugfs_init()
{
	core_node = new (gfp::kernel) CoreNode();
	if (!core_node)
		return Error(-err::nomem);
	core->root = hotdma_shim_debugfs_dir("hotdma", nullptr);
	hotdma_shim_debugfs_file("core", core->root, static_cast<DebugNode *>(core_node), 0);
	return ok();
}

void debugfs_exit()
{
	hotdma_shim_debugfs_remove(core->root);
	destroy(core_node);
	core_node = nullptr;
}

} // namespace hotdma

extern "C" hotdma_shim_dentry *hotdma_core_debugfs_root(void) noexcept
{
	return hotdma::core->root;
}

extern "C" int hotdma_debugfs_show(void *node, hotdma_shim_seq *seq) noexcept
{
	return static_cast<hotdma::DebugNode *>(node)->show(seq);
}

extern "C" long hotdma_debugfs_write(void *node, const char *buf, hotdma::usize len) noexcept
{
	return static_cast<hotdma::DebugNode *>(node)->write(buf, len);
}
