// Google Benchmark of the hot path on real cores (issue 12, B1 "Real cores"): threads pinned
// to every core (1..N) each run the core's inline get+put, or a baseline, in a loop, in kernel
// mode on a vCPU of their own. All threads share one channel, as every CPU of a machine with
// one DMA device does; the per-CPU reference counts are what keeps them from sharing a cache
// line. Besides Google Benchmark's own times (per iteration of 1000 operations, summed over the
// threads), each run reports `ns_per_op`: what one operation costs one thread (its CPU time,
// averaged over the threads), which is what the goal ("get+put <= 2 ns at 2 threads, >= 10x
// faster than a shared atomic") is about, and `wall_ns_per_op` (its wall clock).
//   hotdma_host_bench [--benchmark_* flags]   (JSON: --benchmark_out=F --benchmark_out_format=json)
#include <atomic>
#include <benchmark/benchmark.h>
#include <chrono>
#include <ctime>
#include <hotdma/shim/static_key.h>
#include "bench/loops.h"
#include "bench/setup.hpp"

namespace
{

constexpr hotdma_u64 batch = 1000; // operations per benchmark iteration

int cores()
{
	return hotdma_host_nr_cores();
}

// Per benchmark thread: a vCPU, a core, kernel mode for the measured loop.
class BenchThread
{
      public:
	explicit BenchThread(benchmark::State &state) : index_(state.thread_index())
	{
		if (index_ > 0 && hotdma_host_cpu_enter(index_) != index_)
			state.SkipWithError("no vCPU for this thread");
		if (int rc = hotdma_host_pin_to_core(index_ % cores()))
			state.SkipWithError(("pinning failed: " + std::to_string(rc)).c_str());
		hotdma_host_kernel_enter();
	}
	~BenchThread()
	{
		hotdma_host_kernel_exit();
		if (index_ > 0)
			hotdma_host_cpu_leave();
	}

      private:
	int index_;
};

double thread_cpu_ns()
{
	timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// Per thread: ns_per_op from the time the thread really ran (its CPU time: on a machine shared
// with other work a thread waits for its core now and then, which wall time would count), and
// wall_ns_per_op from its wall clock; both averaged over the threads.
template <typename Loop>
void run(benchmark::State &state, Loop loop)
{
	BenchThread thread(state);
	hotdma_u64 found = 0;
	auto start = std::chrono::steady_clock::now();
	double cpu_start = thread_cpu_ns();
	for (auto _ : state)
		found += loop(batch);
	double cpu = thread_cpu_ns() - cpu_start;
	double wall =
	    std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
	        .count();
	double ops = static_cast<double>(state.iterations()) * batch;
	if (found != state.iterations() * batch)
		state.SkipWithError("the table had no channel");
	state.SetItemsProcessed(static_cast<int64_t>(ops));
	state.counters["ns_per_op"] =
	    benchmark::Counter(ops > 0 ? cpu / ops : 0, benchmark::Counter::kAvgThreads);
	state.counters["wall_ns_per_op"] =
	    benchmark::Counter(ops > 0 ? wall / ops : 0, benchmark::Counter::kAvgThreads);
}

void BM_uncounted_read(benchmark::State &state)
{
	run(state, hb_loop_uncounted);
}

void BM_get_put(benchmark::State &state)
{
	run(state, hb_loop_get_put);
}

void BM_get_put_call(benchmark::State &state)
{
	run(state, hb_loop_get_put_call);
}

void BM_shared_atomic(benchmark::State &state)
{
	run(state, hb_loop_shared_atomic);
}

void BM_per_thread_counter(benchmark::State &state)
{
	alignas(64) hotdma_s64 counter[8] = {};
	run(state, [&](hotdma_u64 n) { return hb_loop_per_thread(n, counter); });
}

// While some device is being removed the static key is on: get and put take their slow
// branch (put calls hotdma_chan_put_slow). Here no device is quiescing, so get still hands
// out the channel.
void key_on(const benchmark::State &)
{
	hotdma_host_kernel_enter();
	hotdma_shim_removal_key_inc();
	hotdma_host_kernel_exit();
}

void key_off(const benchmark::State &)
{
	hotdma_host_kernel_enter();
	hotdma_shim_removal_key_dec();
	hotdma_host_kernel_exit();
}

void BM_get_put_removing(benchmark::State &state)
{
	run(state, hb_loop_get_put);
}

} // namespace

BENCHMARK(BM_uncounted_read)->DenseThreadRange(1, cores())->UseRealTime();
BENCHMARK(BM_get_put)->DenseThreadRange(1, cores())->UseRealTime();
BENCHMARK(BM_get_put_call)->DenseThreadRange(1, cores())->UseRealTime();
BENCHMARK(BM_per_thread_counter)->DenseThreadRange(1, cores())->UseRealTime();
BENCHMARK(BM_shared_atomic)->DenseThreadRange(1, cores())->UseRealTime();
BENCHMARK(BM_get_put_removing)
    ->DenseThreadRange(1, cores())
    ->UseRealTime()
    ->Setup(key_on)
    ->Teardown(key_off);

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	if (hostbench::setup(cores() + 3))
		return 2;
	hotdma_host_pin_to_core(0);
	benchmark::AddCustomContext("hotdma_kernel_model", hh_kernel_model());
	benchmark::AddCustomContext("hotdma_jump_sites", std::to_string(hotdma_host_jump_sites()));
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	hostbench::teardown();
	return 0;
}
