// printk and BUG (include/hotdma/shim/log.h): every line is kept (tests count them), NOTICE and
// worse go to stderr with the kernel's "hotdma: " prefix, INFO/DEBUG only when verbose.
#include "internal.hpp"
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>
#include <hotdma/shim/log.h>

namespace
{
std::mutex lock;
std::vector<std::pair<int, std::string>> lines; // lock
constexpr size_t max_lines = 1000000;
std::atomic<bool> verbose{false};
} // namespace

extern "C" void hotdma_shim_log(hotdma_log_level level, const char *fmt, ...) noexcept
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int l = level >= 0 && level < 8 ? level : HOTDMA_LOG_INFO;
	host::state.log_lines[l].fetch_add(1, std::memory_order_relaxed);
	if (l <= HOTDMA_LOG_NOTICE || verbose.load())
		fprintf(stderr, "hotdma: %s", msg);
	std::lock_guard<std::mutex> guard(lock);
	if (lines.size() < max_lines)
		lines.emplace_back(l, msg);
}

extern "C" void hotdma_shim_report_bug(const char *what, const char *file, int line) noexcept
{
	hotdma_shim_log(HOTDMA_LOG_ERR, "broken invariant: %s (%s:%d)\n", what, file, line);
	host::bug("broken invariant reported by the core: %s", what);
}

extern "C" void hotdma_shim_bug(void) noexcept
{
	host::bug("BUG()");
	abort();
}

extern "C" hotdma_u64 hotdma_host_log_count(int level, const char *needle) noexcept
{
	std::lock_guard<std::mutex> guard(lock);
	hotdma_u64 n = 0;
	for (auto &line : lines)
		if (line.first == level && strstr(line.second.c_str(), needle))
			n++;
	return n;
}

extern "C" void hotdma_host_log_verbose(int on) noexcept
{
	verbose.store(on != 0);
}
