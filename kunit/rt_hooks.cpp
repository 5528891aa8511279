// C++ behaviour exercised by kunit/rt_kunit.c. Nothing here includes a kernel header.
#include <hotdma/rt/new.h>
#include <hotdma/rt/owned.h>
#include <hotdma/rt/result.h>
#include "rt_hooks.h"

using namespace hotdma;

namespace
{

struct Counted {
	static inline int constructed;
	static inline int destroyed;
	u64 payload[8];
	Counted() { constructed++; }
	~Counted() { destroyed++; }
};

} // namespace

extern "C" void hotdma_rt_test_alloc_failure(hotdma_rt_alloc_report *r) noexcept
{
	Counted::constructed = Counted::destroyed = 0;
	rt::fail_allocation_after(1);
	Counted *bad = new (gfp::kernel) Counted();
	r->failed_returned_null = bad == nullptr;
	r->constructors_run = Counted::constructed;
	Counted *good = new (gfp::kernel) Counted();
	r->later_allocation_ok = good != nullptr;
	destroy(good);
	r->destructors_run = Counted::destroyed;
}

extern "C" void hotdma_rt_test_raii(hotdma_rt_raii_report *r) noexcept
{
	Counted::destroyed = 0;
	{
		Owned<Counted> a(new (gfp::kernel) Counted());
		Owned<Counted> b(new (gfp::kernel) Counted());
	}
	r->destructors_at_scope_exit = Counted::destroyed;

	Counted::destroyed = 0;
	auto early = [](bool bail) -> int {
		Owned<Counted> c(new (gfp::kernel) Counted());
		if (bail)
			return -1;
		return 0;
	};
	(void)early(true);
	r->destructors_after_early_return = Counted::destroyed;

	Counted::destroyed = 0;
	{
		Owned<Counted> src(new (gfp::kernel) Counted());
		Owned<Counted> dst(move(src));
		r->moved_from_released = src.get() == nullptr;
	}
	r->moved_from_released = r->moved_from_released && Counted::destroyed == 1;
}

namespace
{

// Virtual dispatch is fine off the hot path; this checks vtables, the deleting destructor
// (sized operator delete) and retpoline-safe indirect calls work in a module.
class Shape
{
      public:
	explicit Shape(int *deleted) : deleted_(deleted) {}
	virtual ~Shape() { (*deleted_)++; }
	virtual int area(int x) const = 0;

      private:
	int *deleted_;
};

class Square final : public Shape
{
      public:
	using Shape::Shape;
	int area(int x) const override { return x * x; }
};

class Twice final : public Shape
{
      public:
	using Shape::Shape;
	int area(int x) const override { return 2 * x; }
};

} // namespace

extern "C" int hotdma_rt_test_virtual_dispatch(int input, int *deleted) noexcept
{
	Shape *shapes[2] = {new (gfp::kernel) Square(deleted), new (gfp::kernel) Twice(deleted)};
	int sum = 0;
	for (Shape *s : shapes) {
		if (!s)
			return -err::nomem;
		sum += s->area(input);
	}
	for (Shape *s : shapes)
		delete s;
	return sum;
}

namespace
{

Result<int> stage(int n, int fail_at, int *steps)
{
	(*steps)++;
	if (n == fail_at)
		return Error(-err::io - n);
	return n * 10;
}

Result<int> chain(int fail_at, int *steps)
{
	int a = TRY(stage(1, fail_at, steps));
	int b = TRY(stage(2, fail_at, steps));
	int c = TRY(stage(3, fail_at, steps));
	return a + b + c;
}

} // namespace

extern "C" int hotdma_rt_test_result_chain(int fail_at, int *steps) noexcept
{
	*steps = 0;
	Result<int> r = chain(fail_at, steps);
	return r.ok() ? r.value() : r.error();
}
