// Allocation for freestanding C++ in the kernel.
//
// There is no plain `operator new`: every allocation names its context and may fail:
//     Foo *f = new (hotdma::gfp::kernel) Foo(args);   // nullptr on failure, ctor not run
// Because this operator new is noexcept, the compiler checks for null before constructing.
#pragma once
#include <hotdma/rt/types.h>
#include <hotdma/shim/memory.h>

namespace hotdma
{

enum class gfp : int {
	kernel = HOTDMA_GFP_KERNEL,
	atomic = HOTDMA_GFP_ATOMIC,
	nowait = HOTDMA_GFP_NOWAIT,
};

namespace rt
{
// Test hook (KUnit): make the n-th next allocation fail (0 = off). Not for production paths.
void fail_allocation_after(unsigned n) noexcept;
void *allocate(usize size, gfp flags) noexcept;
void release(void *ptr) noexcept;
} // namespace rt

// Destroy and free an object made by `new (gfp) T`.
template <typename T>
inline void destroy(T *obj) noexcept
{
	delete obj;
}

} // namespace hotdma

inline void *operator new(std::size_t size, hotdma::gfp flags) noexcept
{
	return hotdma::rt::allocate(size, flags);
}

inline void *operator new[](std::size_t size, hotdma::gfp flags) noexcept
{
	return hotdma::rt::allocate(size, flags);
}

// Placement new (what <new> would give us).
inline void *operator new(std::size_t, void *where) noexcept
{
	return where;
}

// The plain `operator new(size_t)` forms are defined in no module: a use leaves `_Znwm`/`_Znam`
// undefined, which modpost rejects and tests/build.py reports. (They cannot be `= delete`d: the
// compiler declares them implicitly.)

// Deallocation forms the compiler may emit (sized delete from virtual destructors).
void operator delete(void *ptr) noexcept;
void operator delete(void *ptr, std::size_t) noexcept;
void operator delete[](void *ptr) noexcept;
void operator delete[](void *ptr, std::size_t) noexcept;
// Matching delete for the gfp form, called if a constructor could throw (it cannot here).
inline void operator delete(void *ptr, hotdma::gfp) noexcept
{
	hotdma::rt::release(ptr);
}
