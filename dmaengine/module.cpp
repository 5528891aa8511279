// hotdma.ko entry points (called from shim/module_core.c).
#include <hotdma/shim/entry.h>
#include <hotdma/shim/log.h>

extern "C" int hotdma_core_module_init() noexcept
{
	hotdma_shim_log(HOTDMA_LOG_INFO, "core loaded\n");
	return 0;
}

extern "C" void hotdma_core_module_exit() noexcept
{
	hotdma_shim_log(HOTDMA_LOG_INFO, "core unloaded\n");
}
