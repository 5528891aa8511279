// The C++ runtime every hotdma module links (one copy per module; nothing is exported).
// Allocation goes to the shim's kzalloc; a test hook can make allocations fail on purpose.
#include <hotdma/rt/new.h>
#include <hotdma/shim/log.h>

namespace hotdma::rt
{

// Only the KUnit runtime suite sets this, single-threaded, before allocating.
static unsigned fail_countdown;

void fail_allocation_after(unsigned n) noexcept
{
	fail_countdown = n;
}

void *allocate(usize size, gfp flags) noexcept
{
	if (fail_countdown && --fail_countdown == 0)
		return nullptr;
	return hotdma_shim_kzalloc(size, static_cast<enum hotdma_gfp>(flags));
}

void release(void *ptr) noexcept
{
	hotdma_shim_kfree(ptr);
}

} // namespace hotdma::rt

void operator delete(void *ptr) noexcept
{
	hotdma::rt::release(ptr);
}

void operator delete(void *ptr, std::size_t) noexcept
{
	hotdma::rt::release(ptr);
}

void operator delete[](void *ptr) noexcept
{
	hotdma::rt::release(ptr);
}

void operator delete[](void *ptr, std::size_t) noexcept
{
	hotdma::rt::release(ptr);
}

// Called through a vtable slot of an abstract class: a corrupted object. Not survivable.
extern "C" void __cxa_pure_virtual()
{
	hotdma_shim_bug();
}
