// Shared pieces of the host test suites: vCPU threads, kernel-mode scopes, and the fixture that
// loads hotdma.ko + hotdma_soft.ko around each test and checks the stand-in's verdicts after.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include "harness/ops.h"
#include "shim/host.h"
#include <hotdma/shim/log.h>
#include <hotdma/shim/memory.h>
#include <hotdma/shim/params.h>
#include <hotdma/shim/static_key.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/workqueue.h>

namespace hosttest
{

// The test binary's configuration (main.cpp).
int nr_cpus();
hotdma_host_kernel kernel();
const char *kernel_name();
// HOTDMA_HOST_STRESS_MS, default @def.
unsigned stress_ms(unsigned def = 4000);

// Kernel mode for the enclosing scope (a kernel thread's loop, or several calls that must be
// one read-side stretch on the base kernel).
struct InKernel {
	InKernel() { hotdma_host_kernel_enter(); }
	~InKernel() { hotdma_host_kernel_exit(); }
	InKernel(const InKernel &) = delete;
	InKernel &operator=(const InKernel &) = delete;
};

// A thread that runs @fn as a vCPU (@cpu, or any free one with -1), in user mode.
class VcpuThread
{
      public:
	VcpuThread(int cpu, std::function<void(int)> fn)
	    : thread_([cpu, fn = std::move(fn), this] {
		      int id = hotdma_host_cpu_enter(cpu);
		      if (id < 0) {
			      ADD_FAILURE() << "no vCPU " << cpu << ": " << id;
			      started_.store(true);
			      return;
		      }
		      cpu_.store(id);
		      started_.store(true);
		      fn(id);
		      hotdma_host_cpu_leave();
	      })
	{
		while (!started_.load())
			std::this_thread::yield();
	}
	~VcpuThread()
	{
		if (thread_.joinable())
			thread_.join();
	}
	void join() { thread_.join(); }
	int cpu() const { return cpu_.load(); }

      private:
	std::atomic<bool> started_{false};
	std::atomic<int> cpu_{-1};
	std::thread thread_;
};

inline hotdma_host_stats host_stats()
{
	hotdma_host_stats s;
	hotdma_host_get_stats(&s);
	return s;
}

inline hh_core_stats core_stats()
{
	hh_core_stats s;
	hh_get_core_stats(&s);
	return s;
}

// Loads the core and the soft provider; after the test unloads them and checks that the
// stand-in saw no bug (DEBUG_ATOMIC_SLEEP-like rules, broken invariants, per-CPU writes after
// free) and no per-CPU allocation is left.
class CoreTest : public testing::Test
{
      protected:
	void SetUp() override
	{
		bugs_ = host_stats().bugs;
		saved_drain_timeout_ = hotdma_drain_timeout_ms;
		ASSERT_EQ(hh_core_load(), 0);
		ASSERT_EQ(hh_soft_load(), 0);
		loaded_ = true;
	}
	void TearDown() override
	{
		if (loaded_) {
			// What the test left behind (holders, mappings) must be gone by now.
			EXPECT_EQ(hh_soft_unload(), 0) << "hotdma_soft still pinned";
			hh_core_unload();
		}
		hotdma_drain_timeout_ms = saved_drain_timeout_;
		hotdma_host_fail_alloc(HOTDMA_GFP_ATOMIC, 0);
		hotdma_host_fail_alloc(HOTDMA_GFP_KERNEL, 0);
		hotdma_host_fail_alloc(HOTDMA_GFP_NOWAIT, 0);
		hotdma_host_stats s = host_stats();
		EXPECT_EQ(s.bugs, bugs_) << "the stand-in reported bugs (see stderr)";
		EXPECT_EQ(s.percpu_live, 0u) << "per-CPU allocations left after unloading";
		EXPECT_EQ(s.percpu_corrupt, 0u) << "per-CPU memory written after free";
	}

	unsigned long bugs_ = 0;
	unsigned saved_drain_timeout_ = 0;
	bool loaded_ = false;
};

} // namespace hosttest
