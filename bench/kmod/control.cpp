// hotdma_bench.ko's control file and module entry points.
//
//   echo "<command> <args>" > /sys/kernel/debug/hotdma/bench/control   runs it (the write
//   returns when it is done, except `start`); cat .../control shows the copy workers' state.
//
//   hotpath <which|all> [target_ms] [reps]   B1: get+put loops on every online CPU at once
//   removing [target_ms] [reps]              B1: hotdma's loop while a device is being removed
//   rebalance [n]                            B5: time of a full table rebuild (register/unregister)
//   copy <hotdma|dmaengine> <size> <qd> <chans> <ms> [pci-name]   B2: memcpy throughput
//   start <same as copy>                     the same in the background (B4), then:
//   wait | stop                              wait for it / stop it and wait
//   dump                                     log the running code of the kernel functions the
//                                            baselines call (for bench/static.py)
//
// Commands are serialized by one mutex (a second writer waits).
#include "bench.hpp"
#include <hotdma/diag.hpp>
#include <hotdma/soft.hpp>
#include <hotdma/shim/percpu.h>

namespace hotdma::bench
{

bool equal(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

void Args::parse(const char *buf, usize len)
{
	usize n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
	for (usize i = 0; i < n && buf[i]; i++)
		text[i] = buf[i];
	count = 0;
	char *p = text;
	while (*p && count < static_cast<int>(sizeof(word) / sizeof(word[0]))) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			*p++ = 0;
		if (!*p)
			break;
		word[count++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
	}
	while (*p) {
		if (*p == '\n' || *p == ' ')
			*p = 0;
		p++;
	}
}

bool Args::number(int i, u64 fallback, u64 *out) const
{
	if (i >= count) {
		*out = fallback;
		return true;
	}
	const char *s = word[i];
	u64 v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + u64(*s - '0');
	}
	*out = v;
	return true;
}

bool Args::is(int i, const char *name) const
{
	return i < count && equal(word[i], name);
}

u64 median(u64 *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			u64 t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? v[n / 2] : 0;
}

int take_table_channel(TableChannel &t)
{
	int rc = hotdma_client_register();
	if (rc)
		return rc;
	t.registered = true;
	bool empty = true;
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++)
		if (hotdma_shim_cpu_online(cpu) && hotdma_table_peek(cpu, Cap::memcpy))
			empty = false;
	if (empty) {
		t.soft_id = hotdma_soft_add(1, -1);
		if (t.soft_id < 0) {
			rc = t.soft_id;
			release_table_channel(t);
			return rc;
		}
	}
	return 0;
}

void release_table_channel(TableChannel &t)
{
	if (t.soft_id >= 0)
		hotdma_soft_remove(t.soft_id);
	t.soft_id = -1;
	if (t.registered)
		hotdma_client_unregister();
	t.registered = false;
}

namespace
{

constinit hotdma_shim_mutex command_lock;
constinit hotdma_shim_lock_key command_lock_class{};

struct ControlNode final : DebugNode {
	int show(hotdma_shim_seq *seq) override
	{
		copy_show(seq);
		return 0;
	}
	long write(const char *buf, usize len) override
	{
		Args a;
		a.parse(buf, len);
		if (!a.count)
			return -err::inval;
		hotdma_shim_mutex_lock(&command_lock);
		int rc = -err::inval;
		if (a.is(0, "hotpath"))
			rc = run_hotpath(a);
		else if (a.is(0, "removing"))
			rc = run_removing(a);
		else if (a.is(0, "rebalance"))
			rc = run_rebalance(a);
		else if (a.is(0, "copy"))
			rc = run_copy(a, false);
		else if (a.is(0, "start"))
			rc = run_copy(a, true);
		else if (a.is(0, "wait"))
			rc = copy_wait();
		else if (a.is(0, "stop"))
			rc = copy_stop();
		else if (a.is(0, "dump")) {
			hotdma_shim_bench_dump();
			rc = 0;
		}
		hotdma_shim_mutex_unlock(&command_lock);
		if (rc)
			hotdma_shim_log(HOTDMA_LOG_ERR, "bench: '%s' failed: %d\n", a.text, rc);
		return rc;
	}
};

constinit ControlNode *control = nullptr;
constinit hotdma_shim_dentry *dir = nullptr;

} // namespace
} // namespace hotdma::bench

using namespace hotdma;
using namespace hotdma::bench;

extern "C" [[gnu::noinline]] bool hotdma_bench_client_get_put(void) noexcept
{
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!chan)
		return false;
	hotdma_chan_put(chan);
	return true;
}

extern "C" int hotdma_bench_module_init(void) noexcept
{
	control = new (gfp::kernel) ControlNode();
	if (!control)
		return -err::nomem;
	hotdma_shim_mutex_init_class(&command_lock, &command_lock_class, "hotdma_bench");
	dir = hotdma_shim_debugfs_dir("bench", hotdma_core_debugfs_root());
	hotdma_shim_debugfs_file("control", dir, static_cast<DebugNode *>(control), 1);
	return 0;
}

extern "C" void hotdma_bench_module_exit(void) noexcept
{
	hotdma_shim_debugfs_remove(dir);
	copy_stop();
	hotdma_shim_mutex_destroy(&command_lock);
	destroy(control);
	control = nullptr;
}
