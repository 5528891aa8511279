// host/harness/ops.h: the core's API for hosted tests. Freestanding like the core (built with
// the core's flags): it includes client.hpp, so hh_get/hh_put/hh_hold are the real inline hot
// path, compiled here as in any client module.
#include <hotdma/client.hpp>
#include <hotdma/diag.hpp>
#include <hotdma/provider.hpp>
#include <hotdma/soft.hpp>
#include <hotdma/shim/entry.h>
#include <hotdma/shim/percpu.h>
#include <hotdma/shim/static_key.h>
#include "../shim/host.h"
#include "ops.h"

using namespace hotdma;

namespace
{

// One system call, unless the caller already runs in kernel mode.
struct Kernel {
	Kernel() : entered_(!hotdma_host_in_kernel())
	{
		if (entered_)
			hotdma_host_kernel_enter();
	}
	~Kernel()
	{
		if (entered_)
			hotdma_host_kernel_exit();
	}
	Kernel(const Kernel &) = delete;
	Kernel &operator=(const Kernel &) = delete;

      private:
	bool entered_;
};

Channel *chan_of(hh_chan *c)
{
	return reinterpret_cast<Channel *>(c);
}
hh_chan *hh_of(Channel *c)
{
	return reinterpret_cast<hh_chan *>(c);
}

// The table read in hotdma_chan_get() is inline asm, invisible to ThreadSanitizer, and what it
// loads is then dereferenced (chan->hot.percpu_refs, and chan->device in hotdma_chan_put_slow
// when it refuses a quiescing channel): an address dependency, which orders the loads on every
// CPU Linux runs on (rcu_dereference's guarantee) but which C++ and TSan only know as
// memory_order_consume. So, under TSan only, the get runs through client.hpp's own seam
// (detail::chan_get, what hotdma_chan_get is, with a hook between the load and the increment)
// and the hook acquires what the table's writers released at that slot (rebalance_locked's
// release store): the writers are serialised by the core mutex, so the last release there
// covers the store that published the channel this CPU loaded. Every access after the load
// stays checked. ASan and the benchmarks run hotdma_chan_get itself.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void *addr);

template <Cap C>
Channel *get_tsan()
{
	void *slot =
	    &hotdma_shim_chan_table_row(hotdma_shim_smp_processor_id())->slot[static_cast<u32>(C)];
	return detail::chan_get(C, [slot] { __tsan_acquire(slot); });
}

Channel *get_const(u32 cap)
{
	switch (cap) {
	case 0:
		return get_tsan<Cap::memcpy>();
	case 1:
		return get_tsan<Cap::interrupt>();
	case 2:
		return get_tsan<Cap::fill>();
	}
	return nullptr;
}
#else
Channel *get_const(u32 cap)
{
	switch (cap) {
	case 0:
		return hotdma_chan_get(Cap::memcpy);
	case 1:
		return hotdma_chan_get(Cap::interrupt);
	case 2:
		return hotdma_chan_get(Cap::fill);
	}
	return nullptr;
}
#endif

struct Trampoline {
	static void call(void *arg, TxResult result)
	{
		auto *cb = static_cast<hh_cb *>(arg);
		cb->fn(cb, static_cast<unsigned>(result));
	}
};

} // namespace

extern "C" const char *hh_kernel_model(void)
{
	return HOTDMA_HOST_MODEL;
}

extern "C" int hh_core_load(void)
{
	Kernel k;
	return hotdma_core_module_init();
}

extern "C" void hh_core_unload(void)
{
	Kernel k;
	hotdma_core_module_exit();
}

extern "C" int hh_soft_load(void)
{
	Kernel k;
	hotdma_host_module_loaded(hotdma_host_soft_module_ptr());
	return hotdma_soft_module_init();
}

// rmmod: refused while the core pins the module (a device of it still referenced).
extern "C" int hh_soft_unload(void)
{
	Kernel k;
	if (int rc = hotdma_host_module_unload(hotdma_host_soft_module_ptr()))
		return rc;
	hotdma_soft_module_exit();
	return 0;
}

extern "C" hh_chan *hh_get(unsigned cap)
{
	Kernel k;
	return hh_of(get_const(cap));
}

extern "C" void hh_put(hh_chan *chan)
{
	Kernel k;
#if defined(__SANITIZE_THREAD__)
	// What this CPU did while it held the reference is ordered before a remover that reads
	// the count after the decrement (x86 TSO; shim/memory.cpp has the argument).
	hotdma_host_tsan_put_release(detail::hot(chan_of(chan))->percpu_refs);
#endif
	hotdma_chan_put(chan_of(chan));
}

extern "C" int hh_hold(hh_chan *chan)
{
	Kernel k;
	return hotdma_chan_hold(chan_of(chan));
}

extern "C" int hh_bench_get_put(void)
{
	Kernel k;
	return hotdma_bench_get_put();
}

extern "C" int hh_prep(hh_chan *chan, unsigned kind, void *dst, const void *src, u8 value,
                       u64 length, hh_tx **out)
{
	Kernel k;
	Op op{static_cast<Cap>(kind), reinterpret_cast<uptr>(dst), reinterpret_cast<uptr>(src),
	      value, length};
	Tx *tx = nullptr;
	int rc = hotdma_prep(chan_of(chan), &op, &tx);
	*out = reinterpret_cast<hh_tx *>(tx);
	return rc;
}

extern "C" void hh_set_callback(hh_tx *tx, hh_cb *cb)
{
	set_callback(reinterpret_cast<Tx *>(tx), cb ? Trampoline::call : nullptr, cb);
}

extern "C" int hh_submit(hh_tx *tx)
{
	Kernel k;
	return hotdma_submit(reinterpret_cast<Tx *>(tx));
}

extern "C" void hh_issue_pending(hh_chan *chan)
{
	Kernel k;
	hotdma_issue_pending(chan_of(chan));
}

extern "C" unsigned hh_tx_status(hh_chan *chan, int cookie)
{
	Kernel k;
	return static_cast<unsigned>(hotdma_tx_status(chan_of(chan), cookie));
}

extern "C" int hh_wait(hh_chan *chan, int cookie, unsigned timeout_ms)
{
	Kernel k;
	return hotdma_wait(chan_of(chan), cookie, timeout_ms);
}

extern "C" int hh_client_register(void)
{
	Kernel k;
	return hotdma_client_register();
}

extern "C" void hh_client_unregister(void)
{
	Kernel k;
	hotdma_client_unregister();
}

extern "C" int hh_request_channel(unsigned caps, hh_chan **out)
{
	Kernel k;
	Channel *chan = nullptr;
	int rc = hotdma_request_channel(caps, nullptr, nullptr, &chan);
	*out = hh_of(chan);
	return rc;
}

extern "C" void hh_release_channel(hh_chan *chan)
{
	Kernel k;
	hotdma_release_channel(chan_of(chan));
}

extern "C" int hh_soft_add(unsigned channels, int numa_node)
{
	Kernel k;
	return hotdma_soft_add(channels, numa_node);
}

extern "C" int hh_soft_remove(int id)
{
	Kernel k;
	return hotdma_soft_remove(id);
}

extern "C" int hh_soft_pause(int id, int paused)
{
	Kernel k;
	return hotdma_soft_pause(id, paused != 0);
}

extern "C" int hh_soft_fail_next(int id, unsigned count)
{
	Kernel k;
	return hotdma_soft_fail_next(id, count);
}

extern "C" hh_dev *hh_soft_device(int id)
{
	Kernel k;
	return reinterpret_cast<hh_dev *>(hotdma_soft_device(id));
}

extern "C" void hh_get_core_stats(hh_core_stats *out)
{
	Kernel k;
	CoreStats s;
	hotdma_core_stats(&s);
	*out = hh_core_stats{s.removals,
	                     s.removal_timeouts,
	                     s.max_removal_wait_ns,
	                     s.last_removal_wait_ns,
	                     s.last_removal_holders,
	                     s.zombies,
	                     s.live_devices};
}

extern "C" hh_chan *hh_table_peek(int cpu, unsigned cap)
{
	Kernel k;
	return hh_of(hotdma_table_peek(cpu, static_cast<Cap>(cap)));
}

extern "C" unsigned hh_channel_id(const hh_chan *chan)
{
	return hotdma_channel_id(reinterpret_cast<const Channel *>(chan));
}

extern "C" int hh_channel_node(const hh_chan *chan)
{
	return hotdma_channel_node(reinterpret_cast<const Channel *>(chan));
}

extern "C" hh_dev *hh_channel_device(const hh_chan *chan)
{
	return reinterpret_cast<hh_dev *>(
	    hotdma_channel_device(reinterpret_cast<const Channel *>(chan)));
}

extern "C" s64 hh_device_ref_sum(const hh_dev *dev)
{
	Kernel k;
	return hotdma_device_ref_sum(reinterpret_cast<const Device *>(dev));
}

extern "C" s64 hh_device_ref_cpu(const hh_dev *dev, int cpu)
{
	Kernel k;
	return hotdma_device_ref_cpu(reinterpret_cast<const Device *>(dev), cpu);
}

extern "C" int hh_removal_key_enabled(void)
{
	return hotdma_shim_removal_key_enabled();
}

extern "C" void hh_read_side_begin(void)
{
	detail::read_side_begin();
}

extern "C" void hh_read_side_end(void)
{
	detail::read_side_end();
}
