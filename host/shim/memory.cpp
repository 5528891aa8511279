// Allocation (include/hotdma/shim/memory.h): kzalloc/kfree with failslab-like fault injection,
// the per-CPU allocator with a use-after-free check, and the program's operator new.
//
// The per-CPU allocator: a per-CPU pointer is an offset into every vCPU's area (internal.hpp).
// The core's per-CPU counters are written only by `incq/decq %gs:(ptr)` in inline asm, which
// neither ASan nor TSan sees, so this allocator checks them itself, as KASAN's quarantine and
// slub's poisoning do: a freed range is filled with POISON_FREE (0x6b) in every copy and kept
// in quarantine; before it is reused (and at hotdma_host_percpu_check) every byte must still be
// 0x6b, else something wrote it after the free. Under ASan the quarantined range is poisoned
// too, so a C++ read of it (the core's ref_sum of a freed device) is reported by ASan itself.
// GCC sees this file's operator new call malloc and the standard library's sized delete, not
// knowing the program's delete is rt/cxxrt.cpp's free(): a false -Wmismatched-new-delete.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "internal.hpp"
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <random>
#include <hotdma/shim/memory.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void *addr);
extern "C" void __tsan_release(void *addr);
#endif

namespace host
{
namespace
{
constexpr unsigned char poison_free = 0x6b;
constexpr std::size_t unit = 8;
constexpr std::size_t units = area_size / unit;
constexpr std::size_t quarantine_ranges = 256;

struct Range {
	std::uintptr_t offset;
	std::size_t size;
};

struct PerCpu {
	std::mutex lock;
	bool used[units] = {};                      // allocated or quarantined
	std::map<std::uintptr_t, std::size_t> live; // offset -> size
	std::deque<Range> quarantine;
	unsigned long corrupt = 0;
} pcpu;

std::atomic<unsigned> fail_per_million[3];

// True if every copy of a quarantined range is still all POISON_FREE; reports what is not.
bool intact(const Range &r)
{
	bool ok = true;
	for (int c = 0; c < state.config.nr_cpus; c++) {
		unsigned char *p = reinterpret_cast<unsigned char *>(state.cpus[c].area + r.offset);
		UNPOISON(p, r.size);
		for (std::size_t i = 0; i < r.size; i++) {
			if (p[i] == poison_free)
				continue;
			std::uint64_t word;
			memcpy(&word, p + (i & ~(unit - 1)), sizeof(word));
			bug("per-CPU memory written after free_percpu: offset %#lx (+%zu) of vCPU "
			    "%d "
			    "holds %#lx",
			    static_cast<unsigned long>(r.offset), i, c,
			    static_cast<unsigned long>(word));
			ok = false;
			memset(p, poison_free, r.size); // reported once
			break;
		}
		POISON(p, r.size);
	}
	return ok;
}

// Takes the oldest range out of quarantine (checked), making it allocatable again.
void evict_locked()
{
	Range r = pcpu.quarantine.front();
	pcpu.quarantine.pop_front();
	if (!intact(r))
		pcpu.corrupt++;
	for (std::size_t u = r.offset / unit; u < (r.offset + r.size) / unit; u++)
		pcpu.used[u] = false;
}

bool should_fail(hotdma_gfp gfp)
{
	unsigned p = fail_per_million[gfp].load(std::memory_order_relaxed);
	if (!p)
		return false;
	thread_local std::mt19937 rng(std::random_device{}());
	if (rng() % 1000000 >= p)
		return false;
	state.allocs_failed.fetch_add(1, std::memory_order_relaxed);
	return true;
}
} // namespace

void percpu_init()
{
	for (std::size_t u = 0; u < static_end / unit; u++)
		pcpu.used[u] = true; // the static variables
}

unsigned long percpu_live()
{
	std::lock_guard<std::mutex> guard(pcpu.lock);
	return pcpu.live.size();
}

} // namespace host

using namespace host;

extern "C" void hotdma_host_fail_alloc(hotdma_gfp gfp, unsigned per_million) noexcept
{
	if (gfp >= HOTDMA_GFP_KERNEL && gfp <= HOTDMA_GFP_NOWAIT)
		fail_per_million[gfp].store(per_million);
}

extern "C" void *hotdma_shim_kzalloc(hotdma_size size, hotdma_gfp gfp) noexcept
{
	if (gfp == HOTDMA_GFP_KERNEL)
		might_sleep("kzalloc(GFP_KERNEL)");
	if (should_fail(gfp))
		return nullptr;
	return calloc(1, size);
}

// TSan and the reference counts. A put's decrement is a plain `decq %gs:(reg)` (invisible to
// TSan) and the remover's drain reads the counts with plain loads, then frees what the
// holders used (e.g. the provider's channels in Provider::release). That is ordered on x86
// (TSO: a store is never reordered with earlier accesses, so the decrement is a release; the
// read of 0 is a load that later stores cannot pass), which TSan cannot see: a holder's
// accesses before its put, then a drain that saw 0 by polling (not through the wake-up), then
// the free, look like a race. The stand-in models it for each per-CPU allocation (a device's
// counts): the harness's put releases on it (hotdma_host_tsan_put_release, before the put, so
// only what the holder did while it held the reference is covered, never what put_slow does
// after its decrement), per_cpu_ptr acquires on it at once and again at the reading thread's
// next kfree (a read of 0 happens after per_cpu_ptr returned, so that second acquire is the
// one that follows it). Over-approximation: a thread that read a device's counts is ordered
// after every put of it before its next kfree, whatever the values it read.
#if defined(__SANITIZE_THREAD__)
namespace
{
// The sync object of the per-CPU allocation holding per-CPU pointer `offset`, or null.
void *count_sync_locked(std::uintptr_t offset)
{
	auto it = pcpu.live.upper_bound(offset);
	if (it == pcpu.live.begin() || offset >= std::prev(it)->first + std::prev(it)->second)
		return nullptr;
	return state.cpus[0].area + std::prev(it)->first;
}

thread_local void *counts_read[16]; // sync objects acquired since this thread's last kfree
thread_local unsigned counts_read_n;

void counts_read_note(void *sync)
{
	for (unsigned i = 0; i < counts_read_n; i++)
		if (counts_read[i] == sync)
			return;
	if (counts_read_n == 16) { // oldest out: it was acquired when it was read
		memmove(counts_read, counts_read + 1, sizeof(counts_read) - sizeof(void *));
		counts_read_n--;
	}
	counts_read[counts_read_n++] = sync;
}
} // namespace
#endif

extern "C" void hotdma_host_tsan_put_release(void *percpu_ptr) noexcept
{
#if defined(__SANITIZE_THREAD__)
	std::lock_guard<std::mutex> guard(pcpu.lock);
	if (void *sync = count_sync_locked(reinterpret_cast<std::uintptr_t>(percpu_ptr)))
		__tsan_release(sync);
#else
	(void)percpu_ptr;
#endif
}

extern "C" void hotdma_shim_kfree(const void *ptr) noexcept
{
#if defined(__SANITIZE_THREAD__)
	for (unsigned i = 0; i < counts_read_n; i++)
		__tsan_acquire(counts_read[i]);
	counts_read_n = 0;
#endif
	free(const_cast<void *>(ptr));
}

extern "C" void *hotdma_shim_alloc_percpu(hotdma_size size, hotdma_size align) noexcept
{
	might_sleep("alloc_percpu");
	if (!size || size > 4096 || !align || (align & (align - 1)) || align > 4096)
		return nullptr;
	if (should_fail(HOTDMA_GFP_KERNEL))
		return nullptr;
	std::size_t n = (size + unit - 1) / unit, step = align > unit ? align / unit : 1;
	std::lock_guard<std::mutex> guard(pcpu.lock);
	for (int attempt = 0; attempt < 2; attempt++) {
		for (std::size_t u = 0; u + n <= units; u += step) {
			std::size_t k = 0;
			while (k < n && !pcpu.used[u + k])
				k++;
			if (k < n)
				continue;
			for (k = 0; k < n; k++)
				pcpu.used[u + k] = true;
			std::uintptr_t offset = u * unit;
			pcpu.live[offset] = n * unit;
			for (int c = 0; c < state.config.nr_cpus; c++) {
				UNPOISON(state.cpus[c].area + offset, n * unit);
				memset(state.cpus[c].area + offset, 0, n * unit);
			}
			return reinterpret_cast<void *>(offset);
		}
		// Full: give quarantined ranges back (checked) and try once more.
		while (!pcpu.quarantine.empty())
			evict_locked();
	}
	return nullptr;
}

extern "C" void hotdma_shim_free_percpu(void *ptr) noexcept
{
	if (!ptr)
		return;
	std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(ptr);
	std::lock_guard<std::mutex> guard(pcpu.lock);
	auto it = pcpu.live.find(offset);
	if (it == pcpu.live.end()) {
		bug("free_percpu(%p): not an allocated per-CPU pointer (double free?)", ptr);
		return;
	}
	Range r{offset, it->second};
	pcpu.live.erase(it);
	for (int c = 0; c < state.config.nr_cpus; c++) {
		memset(state.cpus[c].area + offset, poison_free, r.size);
		POISON(state.cpus[c].area + offset, r.size);
	}
	pcpu.quarantine.push_back(r);
	if (pcpu.quarantine.size() > quarantine_ranges)
		evict_locked();
}

extern "C" void *hotdma_shim_per_cpu_ptr(void *ptr, int cpu) noexcept
{
	std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(ptr);
	if (cpu < 0 || cpu >= state.config.nr_cpus) {
		bug("per_cpu_ptr(%p, %d): no such CPU", ptr, cpu);
		cpu = 0;
	}
	if (offset >= static_end) {
		std::lock_guard<std::mutex> guard(pcpu.lock);
		auto it = pcpu.live.upper_bound(offset);
		if (it == pcpu.live.begin() ||
		    offset >= std::prev(it)->first + std::prev(it)->second)
			bug("per_cpu_ptr(%p): not inside a live per-CPU allocation (use after "
			    "free_percpu?)",
			    ptr);
#if defined(__SANITIZE_THREAD__)
		else if (void *sync = count_sync_locked(offset)) {
			__tsan_acquire(sync);
			counts_read_note(sync);
		}
#endif
	}
	return state.cpus[cpu].area + offset;
}

extern "C" hotdma_u64 hotdma_host_percpu_check(void) noexcept
{
	std::lock_guard<std::mutex> guard(pcpu.lock);
	for (const Range &r : pcpu.quarantine)
		if (!intact(r))
			pcpu.corrupt++;
	return pcpu.corrupt;
}

// ---- the program's operator new ----
// rt/cxxrt.cpp (the core's runtime, linked unchanged) defines the program's operator delete as
// kfree, i.e. free(). Every operator new must then come from malloc, including the standard
// library's and GoogleTest's: these replace the libstdc++ (or sanitizer) versions, so ASan
// still sees matching malloc/free pairs.
void *operator new(std::size_t size)
{
	if (void *p = malloc(size ? size : 1))
		return p;
	throw std::bad_alloc();
}

void *operator new[](std::size_t size)
{
	return operator new(size);
}

void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
	return malloc(size ? size : 1);
}

void *operator new[](std::size_t size, const std::nothrow_t &) noexcept
{
	return malloc(size ? size : 1);
}
