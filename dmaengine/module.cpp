// hotdma.ko entry points (called from shim/module_core.c).
#include "core.hpp"
#include <hotdma/shim/cpuhp.h>
#include <hotdma/shim/entry.h>
#include <hotdma/shim/log.h>

using namespace hotdma;

// Lockdep classes live in static storage.
static constinit hotdma_shim_lock_key core_mutex_class{};

extern "C" int hotdma_core_module_init() noexcept
{
	core = new (gfp::kernel) Core();
	if (!core)
		return -err::nomem;
	hotdma_shim_mutex_init_class(&core->mutex, &core_mutex_class, "hotdma_core");
	hotdma_shim_work_init(&core->zombie_work, zombie_work_fn);
	int rc = hotdma_shim_rcu_work_setup();
	if (rc) {
		destroy(core);
		core = nullptr;
		return rc;
	}
	auto dbg = debugfs_init();
	if (!dbg) {
		hotdma_shim_rcu_work_teardown();
		destroy(core);
		core = nullptr;
		return dbg.error();
	}
	// Calls hotdma_core_cpu_online for every online CPU (an empty table: no devices yet).
	rc = hotdma_shim_cpuhp_register();
	if (rc) {
		debugfs_exit();
		hotdma_shim_rcu_work_teardown();
		destroy(core);
		core = nullptr;
		return rc;
	}
	hotdma_shim_log(HOTDMA_LOG_INFO, "core loaded\n");
	return 0;
}

// Providers and clients are modules that depend on this one, so they are gone: no devices
// are registered, and no removed device holds a module pin (it would keep its provider, and so
// this module, loaded). What can be left: devices whose memory waits for a grace period (the
// workqueue drains them), and detached or leaked ones whose per-CPU references were never put
// (remove.cpp): with every client module gone nothing can reach those any more, so they are
// freed, each reported, rather than leaked.
extern "C" void hotdma_core_module_exit() noexcept
{
	// First: the debugfs hold knob's own references (they may keep a removed device).
	debugfs_exit();
	hotdma_shim_cpuhp_unregister();
	hotdma_shim_work_cancel_sync(&core->zombie_work);
	hotdma_shim_rcu_work_teardown();
	free_removed_at_unload();
	hotdma_shim_mutex_destroy(&core->mutex);
	destroy(core);
	core = nullptr;
	hotdma_shim_log(HOTDMA_LOG_INFO, "core unloaded\n");
}
