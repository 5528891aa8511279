// Errors are values: Result<T> holds a T or a negative errno.
#pragma once
#include <hotdma/rt/new.h>
#include <hotdma/rt/utility.h>

namespace hotdma
{

// The errno values the project returns (the kernel's numbers; no kernel header here).
namespace err
{
inline constexpr int perm = 1, noent = 2, io = 5, again = 11, nomem = 12, fault = 14, busy = 16,
                     exist = 17, nodev = 19, inval = 22, nospc = 28, range = 34, notsupp = 95,
                     timedout = 110, canceled = 125;
} // namespace err

class [[nodiscard]] Error
{
      public:
	constexpr explicit Error(int negative_errno) : code_(negative_errno) {}
	constexpr int code() const { return code_; }

      private:
	int code_;
};

template <typename T>
class [[nodiscard]] Result
{
      public:
	Result(T value) : ok_(true) { new (&storage_.value) T(move(value)); }
	constexpr Result(Error e) : ok_(false) { storage_.error = e.code(); }
	Result(const Result &) = delete;
	Result &operator=(const Result &) = delete;
	Result(Result &&other) : ok_(other.ok_)
	{
		if (ok_)
			new (&storage_.value) T(move(other.storage_.value));
		else
			storage_.error = other.storage_.error;
	}
	~Result()
	{
		if (ok_)
			storage_.value.~T();
	}

	constexpr bool ok() const { return ok_; }
	constexpr explicit operator bool() const { return ok_; }
	// Negative errno; 0 when ok.
	constexpr int error() const { return ok_ ? 0 : storage_.error; }
	T &value() { return storage_.value; }
	const T &value() const { return storage_.value; }
	T take() { return move(storage_.value); }

      private:
	union Storage {
		Storage() {}
		~Storage() {}
		T value;
		int error;
	} storage_;
	bool ok_;
};

template <>
class [[nodiscard]] Result<void>
{
      public:
	constexpr Result() : error_(0) {}
	constexpr Result(Error e) : error_(e.code()) {}
	constexpr bool ok() const { return error_ == 0; }
	constexpr explicit operator bool() const { return ok(); }
	constexpr int error() const { return error_; }
	void take() {}

      private:
	int error_;
};

inline constexpr Result<void> ok()
{
	return Result<void>();
}

} // namespace hotdma

// TRY(expr): evaluate a Result; on error return the error from the enclosing function,
// otherwise yield the value.
#define TRY(expr)                                                                                  \
	({                                                                                         \
		auto _hotdma_try = (expr);                                                         \
		if (!_hotdma_try.ok())                                                             \
			return ::hotdma::Error(_hotdma_try.error());                               \
		_hotdma_try.take();                                                                \
	})
