// The host test binary: one stand-in per process, modelling the kernel the core of this binary
// was compiled for (hh_kernel_model); the main thread is vCPU 0.
//   HOTDMA_HOST_CPUS   vCPUs (default: 4 per real core + 3, at least 11)
//   HOTDMA_HOST_STRESS_MS   duration of each stress test (default 4000)
#include "common.hpp"
#include <cstdio>

namespace hosttest
{
namespace
{
hotdma_host_config config;
}

int nr_cpus()
{
	return config.nr_cpus;
}

hotdma_host_kernel kernel()
{
	return config.kernel;
}

const char *kernel_name()
{
	return hh_kernel_model();
}

unsigned stress_ms(unsigned def)
{
	const char *v = getenv("HOTDMA_HOST_STRESS_MS");
	return v && *v ? static_cast<unsigned>(strtoul(v, nullptr, 10)) : def;
}

} // namespace hosttest

int main(int argc, char **argv)
{
	testing::InitGoogleTest(&argc, argv);
	using hosttest::config;
	std::string model = hh_kernel_model();
	config.kernel = model == "stock"   ? HOTDMA_HOST_KERNEL_STOCK
	                : model == "debug" ? HOTDMA_HOST_KERNEL_DEBUG
	                                   : HOTDMA_HOST_KERNEL_BASE;
	int cores = hotdma_host_nr_cores();
	const char *cpus = getenv("HOTDMA_HOST_CPUS");
	config.nr_cpus = cpus && *cpus ? atoi(cpus) : std::max(11, 4 * cores + 3);
	config.nr_nodes = 2;
	config.workers = 2;
	if (hotdma_host_init(&config))
		return 2;
	printf("hotdma-host: kernel model %s, %d vCPUs on %d cores, %lu jump label sites, "
	       "break: %s\n",
	       model.c_str(), config.nr_cpus, cores, hotdma_host_jump_sites(),
	       hotdma_host_break() ? hotdma_host_break() : "none");
	if (hotdma_host_cpu_enter(0) != 0)
		return 2;
	int rc = RUN_ALL_TESTS();
	hotdma_host_cpu_leave();
	hotdma_host_exit();
	return rc;
}
