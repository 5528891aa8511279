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
		u32 removed = 0, parked = 0, leaked = 0;
		core->removed.for_each([&](Device &d) {
			removed++;
			parked += d.park == Park::pinned || d.park == Park::unpinned;
			leaked += d.park == Park::leaked;
		});
		hotdma_shim_seq_printf(
		    seq,
		    "public_clients %u\nremovals %lu\nremoval_timeouts %lu\n"
		    "last_removal_us %lu\nmax_removal_wait_us %lu\nremoved_not_freed %u\n"
		    "parked %u\nleaked %u\nunderflows %lu\nrevoked_mappings %lu\n",
		    core->public_clients, core->removals.load(), core->removal_timeouts.load(),
		    core->last_removal_wait_ns.load() / 1000,
		    core->max_removal_wait_ns.load() / 1000, removed, parked, leaked,
		    core->underflows.load(), core->revoked_mappings.load());
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

// /sys/kernel/debug/hotdma/hold: a public client in a file, for tests of late holders from the
// shell (e.g. a removal from a provider's module exit while a reference is held):
//   get   take this CPU's memcpy channel with a reference and keep it (registers a client)
//   put   put the oldest kept one
// Anything else, a word with more after it included ("getx", "get 1"), is refused with
// EINVAL and changes nothing. Reading shows how many are held. Process context; core mutex
// not needed (hold_mutex).
struct HoldNode final : DebugNode {
	static constexpr u32 max_held = 8;
	hotdma_shim_mutex mutex{};
	Channel *held[max_held] = {};
	u32 count = 0;
	int show(hotdma_shim_seq *seq) override
	{
		hotdma_shim_mutex_lock(&mutex);
		hotdma_shim_seq_printf(seq, "held %u\n", count);
		hotdma_shim_mutex_unlock(&mutex);
		return 0;
	}
	long write(const char *buf, usize) override
	{
		const char *p = skip_spaces(buf);
		long rc = 0;
		hotdma_shim_mutex_lock(&mutex);
		if (starts_with(p, "get") && at_end(p + 3)) {
			Channel *chan = nullptr;
			if (count == max_held || hotdma_client_register() != 0) {
				rc = -err::nospc;
			} else if (!(chan = hotdma_chan_get(Cap::memcpy))) {
				hotdma_client_unregister();
				rc = -err::nodev;
			} else {
				held[count++] = chan;
			}
		} else if (starts_with(p, "put") && at_end(p + 3)) {
			if (!count) {
				rc = -err::noent;
			} else {
				hotdma_chan_put(held[0]);
				for (u32 i = 1; i < count; i++)
					held[i - 1] = held[i];
				count--;
				hotdma_client_unregister();
			}
		} else {
			rc = -err::inval;
		}
		hotdma_shim_mutex_unlock(&mutex);
		return rc;
	}
};
constinit HoldNode *hold_node = nullptr;
constinit hotdma_shim_lock_key hold_mutex_class{};
} // namespace

int Device::debug_show(hotdma_shim_seq *seq)
{
	hotdma_shim_seq_printf(seq, "name %s\nid %u\nstate %s\nnode %d\ncaps %#x\nchannels %u\n",
	                       name, id, state_name(read_once(state)), numa_node, caps,
	                       channel_count);
	hotdma_shim_seq_printf(seq, "refs %ld\nmemory_refs %ld\nmappings %u\nrevoked %lu\n",
	                       ref_sum(), refs.load(), read_once(live_mappings),
	                       revoked_total.load());
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
	    "submitted %lu\nfinished %lu\nrefs %ld\nbytes %lu\noperations %lu\nerrors %lu\n"
	    "aborted %lu\nbusy %lu\nunmaps %lu\n",
	    id, index, read_once(offline) ? "offline" : state_name(read_once(device->state)),
	    read_once(exclusive) ? 1 : 0, read_once(table_count[0]), read_once(table_count[1]),
	    read_once(table_count[2]), __atomic_load_n(&last_seq, __ATOMIC_RELAXED),
	    done_seq.load(), ref_sum(), bytes.load(), operations.load(), errors.load(),
	    aborted.load(), busy.load(), unmaps.load());
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
	hold_node = new (gfp::kernel) HoldNode();
	if (!hold_node) {
		destroy(core_node);
		core_node = nullptr;
		return Error(-err::nomem);
	}
	hotdma_shim_mutex_init_class(&hold_node->mutex, &hold_mutex_class, "hotdma_hold");
	core->root = hotdma_shim_debugfs_dir("hotdma", nullptr);
	hotdma_shim_debugfs_file("core", core->root, static_cast<DebugNode *>(core_node), 0);
	hotdma_shim_debugfs_file("hold", core->root, static_cast<DebugNode *>(hold_node), 1);
	return ok();
}

void debugfs_exit()
{
	hotdma_shim_debugfs_remove(core->root);
	destroy(core_node);
	core_node = nullptr;
	// Every client module is gone; references kept here are this module's own.
	while (hold_node->count)
		hold_node->write("put", 3);
	hotdma_shim_mutex_destroy(&hold_node->mutex);
	destroy(hold_node);
	hold_node = nullptr;
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
