// The removal static key (include/hotdma/shim/static_key.h) with real code patching, as
// arch/x86/kernel/alternative.c's text_poke_bp_batch() does it while other CPUs run the code.
//
// client.hpp's removal_in_progress() emits a 5-byte NOP and a 6.1 x86 __jump_table entry
// {code - ., target - ., key + flags - .}; the linker collects the entries between
// __start___jump_table and __stop___jump_table. Enabling the key rewrites every site of
// hotdma_removal_key to `jmp target`, disabling it back to the NOP:
//   1. write INT3 over the first byte of every site, sync every core;
//   2. write the last four bytes of the new instruction, sync;
//   3. write the new first byte, sync; then wait until no CPU is still inside the INT3 handler.
// A CPU that runs into a site meanwhile takes SIGTRAP; the handler emulates the new
// instruction (poke_int3_handler's job), or re-executes the site once it no longer holds an
// INT3. "Sync every core" is membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE): every
// thread of the process runs a serializing instruction before it returns, what the kernel's
// text_poke_sync() IPI does (cross-modifying code, Intel SDM vol. 3 8.1.3).
// The writes go through inline asm: the text is outside what TSan and ASan track (their
// instrumented stores to it fault), and no sanitizer should see them anyway.
#include "internal.hpp"
#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <linux/membarrier.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <vector>
#include <hotdma/shim/static_key.h>
#include <hotdma/shim/sync.h>

struct hotdma_shim_static_key {
	int enabled; // written under jump_label_mutex, read without it (atomics)
};
extern "C" {
alignas(8) hotdma_shim_static_key hotdma_removal_key;
}

namespace
{

struct JumpEntry {
	int32_t code;
	int32_t target;
	int64_t key; // key address + flags (bit 0: branch default, bit 1: objtool NOPed it)
};
static_assert(sizeof(JumpEntry) == 16);

struct Site {
	unsigned char *code;
	unsigned char *target;
	bool operator<(const Site &o) const { return code < o.code; }
};

constexpr unsigned char nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
constexpr unsigned char int3 = 0xcc;

std::vector<Site> sites; // sorted, immutable after static_key_init
std::mutex jump_label_mutex;
bool membarrier_ok = false;
// The patch in flight: 0 none, 1 turning sites into jmp, 2 into NOP.
std::atomic<int> poke_mode{0};
std::atomic<int> handlers_inside{0};       // of jump label sites (what a patch waits for)
std::atomic<int> probe_handlers_inside{0}; // of window probes (what disarming waits for)

// Not instrumented (see the header comment).
inline unsigned char text_read(const unsigned char *p)
{
	unsigned char v;
	asm volatile("movb %1, %0" : "=q"(v) : "m"(*p) : "memory");
	return v;
}
inline void text_write(unsigned char *p, unsigned char v)
{
	asm volatile("movb %1, %0" : "=m"(*p) : "q"(v) : "memory");
}

void sync_cores()
{
	if (membarrier_ok) {
		if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0)
			return;
		perror("hotdma-host: membarrier(SYNC_CORE)");
		abort();
	}
	// Without membarrier (valgrind runs the program's threads one at a time and re-translates
	// modified code with --smc-check=all) a full fence is all there is to do.
	host::full_barrier();
}

// Window probes, each on a `incq/decq %gs:(%reg)` (65 REX.W ff /0 or /1 with a plain register
// operand):
//  * get: the increment of every inlined get, the 4 bytes right before its jump label site
//    (client.hpp: increment, then the key test of the quiescing re-check);
//  * put: the decrement in hotdma_chan_put_slow, where every put goes while a removal is in
//    progress (its read side covers the decrement and the reads of the channel after it). The
//    inline fast path (key test, then the decrement alone) has no window that matters: after
//    its decrement it touches nothing.
// While armed (hotdma_host_window_delay) their first byte is an INT3, and the handler stands
// in for an interrupt that arrives between the get's load of the table slot and its increment
// (it sleeps, sometimes, then emulates the increment), or between put_slow's decrement and the
// rest of its slow path (it emulates the decrement, then sleeps). Nothing else in the program
// is patched.
struct Probe {
	unsigned char *code;
	bool inc;            // get: sleep, then increment; put: decrement, then sleep
	int reg;             // REG_* index into the signal frame
	unsigned char first; // original first byte (0x65)
	bool operator<(const Probe &o) const { return code < o.code; }
};
std::vector<Probe> probes; // sorted, immutable after static_key_init
std::atomic<unsigned> window_percent[2] = {}, window_max_us{0}; // [0] puts, [1] gets
bool probes_armed = false;                                      // jump_label_mutex
std::atomic<unsigned long> window_delays{0};
// When this thread's last held window ended (steady clock, ns): stamped in the handler, after
// the emulated instruction and before the code around it (the get's or put's read side) goes
// on, so whatever waited for that section ended later, however the host schedules the thread.
thread_local long long window_end_ns = 0;

const Probe *find_probe(const unsigned char *code)
{
	Probe key{const_cast<unsigned char *>(code), false, 0, 0};
	auto it = std::lower_bound(probes.begin(), probes.end(), key);
	return it != probes.end() && it->code == code ? &*it : nullptr;
}

int greg_of(int x86_reg)
{
	static const int map[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
	                            REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
	                            REG_R12, REG_R13, REG_R14, REG_R15};
	return map[x86_reg];
}

// A probe at `p` if it holds `incq %gs:(%reg)` (inc) or `decq %gs:(%reg)` (!inc):
// 65 48/49 ff /0|/1, mod=00, rm a plain register.
bool add_probe(unsigned char *p, bool inc)
{
	const unsigned char modrm = p[3];
	if (p[0] != 0x65 || (p[1] != 0x48 && p[1] != 0x49) || p[2] != 0xff || (modrm >> 6) != 0 ||
	    ((modrm >> 3) & 7) != (inc ? 0 : 1) || (modrm & 7) == 4 || (modrm & 7) == 5)
		return false;
	probes.push_back({p, inc, greg_of((modrm & 7) + (p[1] == 0x49 ? 8 : 0)), p[0]});
	return true;
}

bool window_sleep(bool get)
{
	thread_local unsigned long seed = 0;
	if (!seed)
		seed = 0x9e3779b97f4a7c15ul ^ reinterpret_cast<uintptr_t>(&seed);
	seed = seed * 6364136223846793005ul + 1442695040888963407ul;
	unsigned r = static_cast<unsigned>(seed >> 33);
	if (r % 100 >= window_percent[get].load(std::memory_order_relaxed))
		return false;
	// Between half the maximum and the maximum.
	unsigned max = window_max_us.load(std::memory_order_relaxed);
	window_delays.fetch_add(1, std::memory_order_relaxed);
	host::sleep_ns(1000ull * (max / 2 + 1 + (r >> 8) % (max / 2 + 1)));
	return true;
}

void stamp_window_end()
{
	window_end_ns = std::chrono::steady_clock::now().time_since_epoch().count();
}

// The probed instruction, on this vCPU's per-CPU area (asm: invisible to the sanitizers, as
// the real instruction is).
void emulate(const Probe &p, ucontext_t *uc)
{
	if (!host::this_cpu()) {
		fprintf(stderr, "hotdma-host: a get/put ran on a thread that is no vCPU\n");
		abort();
	}
	auto *addr =
	    reinterpret_cast<long *>(host::this_cpu()->area + uc->uc_mcontext.gregs[p.reg]);
	if (p.inc)
		asm volatile("incq %0" : "+m"(*addr));
	else
		asm volatile("decq %0" : "+m"(*addr));
	uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(p.code + 4);
}

const Site *find_site(const unsigned char *code)
{
	Site probe{const_cast<unsigned char *>(code), nullptr};
	auto it = std::lower_bound(sites.begin(), sites.end(), probe);
	return it != sites.end() && it->code == code ? &*it : nullptr;
}

void int3_handler(int sig, siginfo_t *, void *ctx)
{
	auto *uc = static_cast<ucontext_t *>(ctx);
	auto *pc = reinterpret_cast<unsigned char *>(uc->uc_mcontext.gregs[REG_RIP]);
	if (const Probe *probe = find_probe(pc - 1)) {
		probe_handlers_inside.fetch_add(1);
		if (text_read(probe->code) != int3) {
			uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(probe->code);
		} else if (probe->inc) {
			const bool slept = window_sleep(true);
			emulate(*probe, uc);
			if (slept)
				stamp_window_end();
		} else {
			emulate(*probe, uc);
			if (window_sleep(false))
				stamp_window_end();
		}
		probe_handlers_inside.fetch_sub(1);
		return;
	}
	const Site *site = find_site(pc - 1);
	if (!site) {
		// Not one of ours (a debugger's breakpoint, an int3 in the program): default
		// action.
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	handlers_inside.fetch_add(1);
	for (;;) {
		int mode = poke_mode.load();
		if (text_read(site->code) != int3) {
			// The patch got there first: run what the site holds now.
			uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(site->code);
			break;
		}
		if (mode) {
			host::state.int3_emulated.fetch_add(1, std::memory_order_relaxed);
			uc->uc_mcontext.gregs[REG_RIP] =
			    reinterpret_cast<greg_t>(mode == 1 ? site->target : site->code + 5);
			break;
		}
		asm volatile("pause");
	}
	handlers_inside.fetch_sub(1);
}

void make_text_writable(bool writable)
{
	long page = sysconf(_SC_PAGESIZE);
	std::vector<unsigned char *> codes;
	for (const Site &s : sites)
		codes.push_back(s.code);
	for (const Probe &p : probes)
		codes.push_back(p.code);
	for (unsigned char *code : codes) {
		auto first = reinterpret_cast<uintptr_t>(code) & ~(page - 1);
		auto last = (reinterpret_cast<uintptr_t>(code) + 4) & ~(page - 1);
		int prot = PROT_READ | PROT_EXEC | (writable ? PROT_WRITE : 0);
		if (mprotect(reinterpret_cast<void *>(first), last - first + page, prot)) {
			perror("hotdma-host: mprotect(text)");
			abort();
		}
	}
}

void encode(const Site &s, bool jump, unsigned char insn[5])
{
	if (!jump) {
		memcpy(insn, nop5, 5);
		return;
	}
	long rel = s.target - (s.code + 5);
	if (rel != static_cast<int32_t>(rel)) {
		fprintf(stderr, "hotdma-host: jump label target out of range\n");
		abort();
	}
	int32_t rel32 = static_cast<int32_t>(rel);
	insn[0] = 0xe9;
	memcpy(insn + 1, &rel32, 4);
}

// text_poke_bp_batch over every site; jump_label_mutex held.
void patch_all(bool jump)
{
	host::state.key_patches.fetch_add(1, std::memory_order_relaxed);
	make_text_writable(true);
	poke_mode.store(jump ? 1 : 2);
	for (const Site &s : sites)
		text_write(s.code, int3);
	sync_cores();
	for (const Site &s : sites) {
		unsigned char insn[5];
		encode(s, jump, insn);
		for (int i = 1; i < 5; i++)
			text_write(s.code + i, insn[i]);
	}
	sync_cores();
	for (const Site &s : sites) {
		unsigned char insn[5];
		encode(s, jump, insn);
		text_write(s.code, insn[0]);
	}
	sync_cores();
	poke_mode.store(0);
	while (handlers_inside.load())
		asm volatile("pause");
	make_text_writable(false);
}

} // namespace

// The core's (client.hpp declares it with the core's types, which this hosted code does not
// include): only its address is used here.
extern "C" void hotdma_chan_put_slow(struct hotdma_host_channel *chan) noexcept;
extern "C" JumpEntry __start___jump_table[] __attribute__((weak));
extern "C" JumpEntry __stop___jump_table[] __attribute__((weak));

namespace host
{
void static_key_init()
{
	for (JumpEntry *e = __start___jump_table; e && e < __stop___jump_table; e++) {
		auto *code = reinterpret_cast<unsigned char *>(&e->code) + e->code;
		auto *target = reinterpret_cast<unsigned char *>(&e->target) + e->target;
		auto key = reinterpret_cast<uintptr_t>(&e->key) + e->key;
		if ((key & ~3ul) != reinterpret_cast<uintptr_t>(&hotdma_removal_key)) {
			fprintf(stderr, "hotdma-host: __jump_table entry for an unknown key %#lx\n",
			        key);
			abort();
		}
		// Built with HOTDMA_JUMP_LABEL_HACK=0: every site starts as the 5-byte NOP (with 1
		// the site is a jmp that only objtool would have turned into the NOP).
		if ((key & 3) != 0 || memcmp(code, nop5, 5) != 0) {
			fprintf(stderr,
			        "hotdma-host: jump label site %p is not a default-off 5-byte "
			        "NOP (HOTDMA_JUMP_LABEL_HACK must be 0 here)\n",
			        static_cast<void *>(code));
			abort();
		}
		sites.push_back({code, target});
		add_probe(code - 4, true);
	}
	// put_slow's decrement: found in its code (the dynamic symbol table gives its size; the
	// binaries are linked with -rdynamic). Not fatal if it is not exactly one (the benchmarks
	// need no probe): the windows test requires exactly one, or the probe would not be the
	// decrement the window is about.
	Dl_info info;
	void *extra = nullptr;
	auto *slow = reinterpret_cast<unsigned char *>(&hotdma_chan_put_slow);
	const bool found = dladdr1(reinterpret_cast<void *>(slow), &info, &extra, RTLD_DL_SYMENT);
	const auto *sym = static_cast<const ElfW(Sym) *>(extra);
	if (found && sym && info.dli_saddr == slow) {
		for (unsigned char *p = slow; p + 4 <= slow + sym->st_size; p++)
			add_probe(p, false);
	} else {
		fprintf(stderr, "hotdma-host: no symbol size for hotdma_chan_put_slow: no put "
		                "probe\n");
	}
	std::sort(sites.begin(), sites.end());
	std::sort(probes.begin(), probes.end());
	membarrier_ok =
	    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0;
	if (!membarrier_ok && !getenv("HOTDMA_HOST_NO_MEMBARRIER_OK")) {
		fprintf(stderr,
		        "hotdma-host: membarrier(SYNC_CORE) unavailable (%s): cannot "
		        "patch code that other threads run\n",
		        strerror(errno));
		abort();
	}
	struct sigaction sa = {};
	sa.sa_sigaction = int3_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTRAP, &sa, nullptr);
}
} // namespace host

extern "C" unsigned long hotdma_host_jump_sites(void) noexcept
{
	return sites.size();
}

extern "C" unsigned long hotdma_host_jump_sites_enabled(void) noexcept
{
	std::lock_guard<std::mutex> guard(jump_label_mutex);
	unsigned long n = 0;
	for (const Site &s : sites)
		n += text_read(s.code) == 0xe9;
	return n;
}

extern "C" void hotdma_host_window_delay(unsigned get_percent, unsigned put_percent,
                                         unsigned max_us) noexcept
{
	std::lock_guard<std::mutex> guard(jump_label_mutex);
	window_percent[1].store(get_percent);
	window_percent[0].store(put_percent);
	window_max_us.store(max_us);
	bool arm = get_percent > 0 || put_percent > 0;
	if (arm == probes_armed || probes.empty())
		return;
	// One byte per probe: INT3 over the first byte of a complete instruction, or the original
	// byte back; a CPU sees one or the other (text_poke_bp's last step), then sync.
	make_text_writable(true);
	for (const Probe &p : probes)
		text_write(p.code, arm ? int3 : p.first);
	sync_cores();
	while (probe_handlers_inside.load())
		asm volatile("pause");
	make_text_writable(false);
	probes_armed = arm;
}

extern "C" unsigned long hotdma_host_window_probes(void) noexcept
{
	return probes.size();
}

extern "C" unsigned long hotdma_host_window_put_probes(void) noexcept
{
	return std::count_if(probes.begin(), probes.end(), [](const Probe &p) { return !p.inc; });
}

extern "C" unsigned long hotdma_host_window_delays(void) noexcept
{
	return window_delays.load();
}

extern "C" unsigned long hotdma_host_windows_open(void) noexcept
{
	return probe_handlers_inside.load();
}

extern "C" long long hotdma_host_window_end_ns(void) noexcept
{
	return window_end_ns;
}

// static_branch_inc/dec: counted; the first inc and the last dec patch (may sleep: the kernel
// takes cpus_read_lock and jump_label_mutex).
extern "C" void hotdma_shim_removal_key_inc(void) noexcept
{
	hotdma_shim_cpus_read_lock();
	{
		host::Blocking blocking("static_branch_inc");
		jump_label_mutex.lock();
	}
	if (__atomic_fetch_add(&hotdma_removal_key.enabled, 1, __ATOMIC_RELAXED) == 0)
		patch_all(true);
	jump_label_mutex.unlock();
	hotdma_shim_cpus_read_unlock();
}

extern "C" void hotdma_shim_removal_key_dec(void) noexcept
{
	hotdma_shim_cpus_read_lock();
	{
		host::Blocking blocking("static_branch_dec");
		jump_label_mutex.lock();
	}
	if (__atomic_load_n(&hotdma_removal_key.enabled, __ATOMIC_RELAXED) <= 0)
		host::bug("static_branch_dec of a disabled key");
	else if (__atomic_sub_fetch(&hotdma_removal_key.enabled, 1, __ATOMIC_RELAXED) == 0)
		patch_all(false);
	jump_label_mutex.unlock();
	hotdma_shim_cpus_read_unlock();
}

extern "C" int hotdma_shim_removal_key_enabled(void) noexcept
{
	return __atomic_load_n(&hotdma_removal_key.enabled, __ATOMIC_RELAXED) > 0;
}
