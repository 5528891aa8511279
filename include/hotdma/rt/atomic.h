// Atomics for freestanding C++ (GCC __atomic builtins; the kernel's memory model on x86).
// Never on the get/put path: these are lock-prefixed for read-modify-write.
#pragma once
#include <hotdma/rt/types.h>

namespace hotdma
{

template <typename T>
class Atomic
{
      public:
	constexpr Atomic() : value_() {}
	constexpr explicit Atomic(T v) : value_(v) {}
	Atomic(const Atomic &) = delete;
	Atomic &operator=(const Atomic &) = delete;

	T load() const { return __atomic_load_n(&value_, __ATOMIC_RELAXED); }
	T load_acquire() const { return __atomic_load_n(&value_, __ATOMIC_ACQUIRE); }
	void store(T v) { __atomic_store_n(&value_, v, __ATOMIC_RELAXED); }
	void store_release(T v) { __atomic_store_n(&value_, v, __ATOMIC_RELEASE); }
	// Full-barrier read-modify-write (like atomic_*_return); return the new value.
	T add(T v) { return __atomic_add_fetch(&value_, v, __ATOMIC_SEQ_CST); }
	T sub(T v) { return __atomic_sub_fetch(&value_, v, __ATOMIC_SEQ_CST); }
	T exchange(T v) { return __atomic_exchange_n(&value_, v, __ATOMIC_SEQ_CST); }
	// Full-barrier bitwise read-modify-write; return the old value.
	T fetch_or(T v) { return __atomic_fetch_or(&value_, v, __ATOMIC_SEQ_CST); }
	T fetch_and(T v) { return __atomic_fetch_and(&value_, v, __ATOMIC_SEQ_CST); }
	// On failure `expected` gets the current value.
	bool compare_exchange(T &expected, T desired)
	{
		return __atomic_compare_exchange_n(&value_, &expected, desired, false,
		                                   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	}
	// Raise to at least v (statistics).
	void max(T v)
	{
		T cur = load();
		while (cur < v && !__atomic_compare_exchange_n(
		                      &value_, &cur, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		}
	}

      private:
	T value_;
};

// READ_ONCE/WRITE_ONCE for plain fields shared with lockless readers.
template <typename T>
inline T read_once(const T &v)
{
	return __atomic_load_n(&v, __ATOMIC_RELAXED);
}
template <typename T>
inline void write_once(T &v, T n)
{
	__atomic_store_n(&v, n, __ATOMIC_RELAXED);
}

} // namespace hotdma
