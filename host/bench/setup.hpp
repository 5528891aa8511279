// What both benchmark drivers set up: the stand-in for the kernel the core was compiled for,
// hotdma.ko + hotdma_soft.ko loaded, one public client, one soft device with one channel in
// every vCPU's table row. The calling thread stays vCPU 0.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include "harness/ops.h"
#include "shim/host.h"

namespace hostbench
{

inline int setup(int nr_cpus)
{
	hotdma_host_config config{};
	std::string model = hh_kernel_model();
	config.kernel = model == "stock"   ? HOTDMA_HOST_KERNEL_STOCK
	                : model == "debug" ? HOTDMA_HOST_KERNEL_DEBUG
	                                   : HOTDMA_HOST_KERNEL_BASE;
	config.nr_cpus = nr_cpus;
	config.nr_nodes = 1;
	config.workers = 1;
	if (hotdma_host_init(&config) || hotdma_host_cpu_enter(0) != 0)
		return -1;
	if (hh_core_load() || hh_soft_load() || hh_client_register() || hh_soft_add(1, 0) < 0) {
		fprintf(stderr, "hotdma-host: benchmark set-up failed\n");
		return -1;
	}
	return 0;
}

inline void teardown()
{
	hh_client_unregister();
	if (hh_soft_unload())
		fprintf(stderr, "hotdma-host: hotdma_soft still pinned at exit\n");
	hh_core_unload();
	hotdma_host_cpu_leave();
	hotdma_host_exit();
}

} // namespace hostbench
