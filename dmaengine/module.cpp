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
	auto dbg = debugfs_init();
	if (!dbg) {
		destroy(core);
		core = nullptr;
		return dbg.error();
	}
	// Calls hotdma_core_cpu_online for every online CPU (an empty table: no devices yet).
	int rc = hotdma_shim_cpuhp_register();
	if (rc) {
		debugfs_exit();
		destroy(core);
		core = nullptr;
		return rc;
	}
	hotdma_shim_log(HOTDMA_LOG_INFO, "core loaded\n");
	return 0;
}

// Providers and clients are modules that depend on this one, so they are gone: no devices
// are registered. Zombies (devices removed while references were held) stay until those
// references are put; a reference outliving its client module is a client bug, so what is
// left now is reported and leaked rather than freed under a possible user.
extern "C" void hotdma_core_module_exit() noexcept
{
	hotdma_shim_cpuhp_unregister();
	for (int i = 0; i < 50; i++) {
		hotdma_shim_mutex_lock(&core->mutex);
		bool empty = core->zombies.empty();
		hotdma_shim_mutex_unlock(&core->mutex);
		if (empty)
			break;
		hotdma_shim_msleep(100);
	}
	hotdma_shim_work_cancel_sync(&core->zombie_work);
	if (!core->zombies.empty())
		hotdma_shim_log(HOTDMA_LOG_ERR,
		                "unloading with removed devices still referenced\n");
	debugfs_exit();
	hotdma_shim_mutex_destroy(&core->mutex);
	if (core->zombies.empty())
		destroy(core);
	hotdma_shim_log(HOTDMA_LOG_INFO, "core unloaded\n");
}
