// debugfs in memory (include/hotdma/shim/debugfs.h) with the kernel's rules: a name that
// exists under the same parent is refused (6.1 logs "debugfs: Directory '%s' with parent '%s'
// already present!" and returns ERR_PTR(-EEXIST), which later calls accept and ignore);
// removing a directory waits for reads and writes running in the files below it (and only
// those), so the node a file points to may be freed once removal returned.
#include "internal.hpp"
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>
#include <hotdma/shim/debugfs.h>
#include <hotdma/shim/entry.h>
#include <hotdma/shim/log.h>

struct hotdma_shim_dentry {
	std::string name;
	hotdma_shim_dentry *parent = nullptr;
	std::vector<hotdma_shim_dentry *> children;
	bool is_file = false, writable = false;
	void *node = nullptr;
	int active = 0; // reads/writes running (tree lock)
};

struct hotdma_shim_seq {
	std::string text;
};

namespace
{
std::mutex tree;
std::condition_variable idle;
hotdma_shim_dentry root;
hotdma_shim_dentry *const eexist = reinterpret_cast<hotdma_shim_dentry *>(-17l);

bool is_err(const hotdma_shim_dentry *d)
{
	return !d || reinterpret_cast<uintptr_t>(d) >= static_cast<uintptr_t>(-4095l);
}

hotdma_shim_dentry *create(const char *name, hotdma_shim_dentry *parent, bool file)
{
	if (!parent)
		parent = &root;
	if (is_err(parent))
		return parent; // like debugfs: an error parent stays an error
	std::lock_guard<std::mutex> guard(tree);
	for (hotdma_shim_dentry *c : parent->children)
		if (c->name == name) {
			hotdma_shim_log(HOTDMA_LOG_ERR,
			                "debugfs: %s '%s' with parent '%s' already present!\n",
			                file ? "File" : "Directory", name,
			                parent == &root ? "/" : parent->name.c_str());
			return eexist;
		}
	auto *d = new hotdma_shim_dentry();
	d->name = name;
	d->parent = parent;
	d->is_file = file;
	parent->children.push_back(d);
	return d;
}

void collect(hotdma_shim_dentry *d, std::vector<hotdma_shim_dentry *> &out)
{
	out.push_back(d);
	for (hotdma_shim_dentry *c : d->children)
		collect(c, out);
}

// Looks up @path and marks the file busy; nullptr if there is no such file.
hotdma_shim_dentry *get_file(const char *path)
{
	std::lock_guard<std::mutex> guard(tree);
	hotdma_shim_dentry *d = &root;
	std::string p(path);
	size_t pos = 0;
	while (d && pos <= p.size()) {
		size_t slash = p.find('/', pos);
		std::string part =
		    p.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
		hotdma_shim_dentry *next = nullptr;
		for (hotdma_shim_dentry *c : d->children)
			if (c->name == part)
				next = c;
		d = next;
		if (slash == std::string::npos)
			break;
		pos = slash + 1;
	}
	if (!d || !d->is_file)
		return nullptr;
	d->active++;
	return d;
}

void put_file(hotdma_shim_dentry *d)
{
	std::lock_guard<std::mutex> guard(tree);
	if (--d->active == 0)
		idle.notify_all();
}

// Reads and writes are system calls of their own.
struct Syscall {
	Syscall() { hotdma_host_kernel_enter(); }
	~Syscall() { hotdma_host_kernel_exit(); }
};
} // namespace

extern "C" hotdma_shim_dentry *hotdma_shim_debugfs_dir(const char *name,
                                                       hotdma_shim_dentry *parent) noexcept
{
	host::might_sleep("debugfs_create_dir");
	return create(name, parent, false);
}

extern "C" void hotdma_shim_debugfs_file(const char *name, hotdma_shim_dentry *parent, void *node,
                                         int writable) noexcept
{
	host::might_sleep("debugfs_create_file");
	hotdma_shim_dentry *d = create(name, parent, true);
	if (is_err(d))
		return;
	std::lock_guard<std::mutex> guard(tree);
	d->node = node;
	d->writable = writable != 0;
}

extern "C" void hotdma_shim_debugfs_remove(hotdma_shim_dentry *d) noexcept
{
	if (is_err(d))
		return;
	host::Blocking blocking("debugfs_remove");
	std::unique_lock<std::mutex> guard(tree);
	auto &siblings = d->parent->children;
	for (size_t i = 0; i < siblings.size(); i++)
		if (siblings[i] == d) {
			siblings.erase(siblings.begin() + static_cast<long>(i));
			break;
		}
	std::vector<hotdma_shim_dentry *> gone;
	collect(d, gone);
	idle.wait(guard, [&] {
		for (hotdma_shim_dentry *g : gone)
			if (g->active)
				return false;
		return true;
	});
	for (hotdma_shim_dentry *g : gone)
		delete g;
}

extern "C" void hotdma_shim_seq_printf(hotdma_shim_seq *seq, const char *fmt, ...) noexcept
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		seq->text.append(buf, static_cast<size_t>(n) < sizeof(buf) ? n : sizeof(buf) - 1);
}

extern "C" long hotdma_host_debugfs_read(const char *path, char *buf, hotdma_size len) noexcept
{
	Syscall syscall;
	hotdma_shim_dentry *d = get_file(path);
	if (!d)
		return -ENOENT;
	hotdma_shim_seq seq;
	int rc = hotdma_debugfs_show(d->node, &seq);
	put_file(d);
	if (rc < 0)
		return rc;
	if (len) {
		size_t n = seq.text.size() < len - 1 ? seq.text.size() : len - 1;
		memcpy(buf, seq.text.data(), n);
		buf[n] = '\0';
	}
	return static_cast<long>(seq.text.size());
}

extern "C" long hotdma_host_debugfs_write(const char *path, const char *text) noexcept
{
	Syscall syscall;
	hotdma_shim_dentry *d = get_file(path);
	if (!d)
		return -ENOENT;
	long rc;
	if (!d->writable) {
		rc = -EACCES;
	} else {
		// shim/debugfs.c: at most 63 bytes reach the node, NUL-terminated.
		char buf[64];
		size_t n = strlen(text) < sizeof(buf) - 1 ? strlen(text) : sizeof(buf) - 1;
		memcpy(buf, text, n);
		buf[n] = '\0';
		rc = hotdma_debugfs_write(d->node, buf, n);
		if (rc >= 0)
			rc = static_cast<long>(strlen(text));
	}
	put_file(d);
	return rc;
}
