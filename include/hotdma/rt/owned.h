// Owned<T>: sole owner of an object made by `new (gfp) T`; destroys it when it goes.
#pragma once
#include <hotdma/rt/new.h>
#include <hotdma/rt/utility.h>

namespace hotdma
{

template <typename T>
class Owned
{
      public:
	Owned() = default;
	explicit Owned(T *p) : ptr_(p) {}
	Owned(const Owned &) = delete;
	Owned &operator=(const Owned &) = delete;
	Owned(Owned &&o) : ptr_(exchange(o.ptr_, static_cast<T *>(nullptr))) {}
	Owned &operator=(Owned &&o)
	{
		reset(exchange(o.ptr_, static_cast<T *>(nullptr)));
		return *this;
	}
	~Owned() { reset(); }

	T *get() const { return ptr_; }
	T *operator->() const { return ptr_; }
	T &operator*() const { return *ptr_; }
	explicit operator bool() const { return ptr_ != nullptr; }
	T *release() { return exchange(ptr_, static_cast<T *>(nullptr)); }
	void reset(T *p = nullptr)
	{
		T *old = exchange(ptr_, p);
		if (old)
			destroy(old);
	}

      private:
	T *ptr_ = nullptr;
};

} // namespace hotdma
