// The few pieces of <utility>/<type_traits> the project uses, freestanding.
#pragma once

namespace hotdma
{

template <typename T>
struct remove_reference {
	using type = T;
};
template <typename T>
struct remove_reference<T &> {
	using type = T;
};
template <typename T>
struct remove_reference<T &&> {
	using type = T;
};
template <typename T>
using remove_reference_t = typename remove_reference<T>::type;

template <typename T>
constexpr remove_reference_t<T> &&move(T &&v) noexcept
{
	return static_cast<remove_reference_t<T> &&>(v);
}

template <typename T>
constexpr T &&forward(remove_reference_t<T> &v) noexcept
{
	return static_cast<T &&>(v);
}

template <typename T>
constexpr T &&forward(remove_reference_t<T> &&v) noexcept
{
	return static_cast<T &&>(v);
}

template <typename T>
constexpr T exchange(T &obj, T new_value)
{
	T old = move(obj);
	obj = move(new_value);
	return old;
}

template <typename T>
constexpr const T &min(const T &a, const T &b)
{
	return b < a ? b : a;
}
template <typename T>
constexpr const T &max(const T &a, const T &b)
{
	return a < b ? b : a;
}

// Objects the kernel holds pointers to must never be copied or moved.
struct Pinned {
	Pinned() = default;
	Pinned(const Pinned &) = delete;
	Pinned &operator=(const Pinned &) = delete;
	Pinned(Pinned &&) = delete;
	Pinned &operator=(Pinned &&) = delete;
};

} // namespace hotdma
