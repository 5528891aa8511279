// A debugfs file's C++ side: shim/debugfs.c calls hotdma_debugfs_show/write with the node
// pointer, which dispatches here. Nodes outlive their files (debugfs removal waits for readers).
#pragma once
#include <hotdma/rt/result.h>
#include <hotdma/shim/debugfs.h>

namespace hotdma
{

class DebugNode
{
      public:
	virtual int show(hotdma_shim_seq *seq) = 0;
	virtual long write(const char *, usize) { return -err::perm; }

      protected:
	~DebugNode() = default;
};

// Forwards a node to Owner::debug_show / debug_write (so Owner itself needs no vtable).
template <typename Owner>
class DebugThunk final : public DebugNode
{
      public:
	explicit DebugThunk(Owner *owner) : owner_(owner) {}
	int show(hotdma_shim_seq *seq) override { return owner_->debug_show(seq); }
	long write(const char *buf, usize len) override { return owner_->debug_write(buf, len); }

      private:
	Owner *owner_;
};

// Small parsing helpers for debugfs writes (no libc here).
inline const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return s;
}

// A decimal integer (optional '-'); nullptr if none.
inline const char *parse_int(const char *s, long *out)
{
	s = skip_spaces(s);
	bool neg = *s == '-';
	if (neg)
		s++;
	if (*s < '0' || *s > '9')
		return nullptr;
	long v = 0;
	while (*s >= '0' && *s <= '9') {
		if (v > 100000000) // far beyond any count or id here; and no signed overflow
			return nullptr;
		v = v * 10 + (*s++ - '0');
	}
	*out = neg ? -v : v;
	return s;
}

// Nothing but white space left: a command must not carry trailing garbage.
inline bool at_end(const char *s)
{
	return s && !*skip_spaces(s);
}

inline bool starts_with(const char *s, const char *word)
{
	while (*word)
		if (*s++ != *word++)
			return false;
	return true;
}

} // namespace hotdma

// /sys/kernel/debug/hotdma (for providers' own files).
extern "C" hotdma_shim_dentry *hotdma_core_debugfs_root(void) noexcept;
