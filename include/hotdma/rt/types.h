// Fixed-width types for freestanding C++ (no kernel or hosted headers).
#pragma once

namespace hotdma
{

using u8 = __UINT8_TYPE__;
using u16 = __UINT16_TYPE__;
using u32 = __UINT32_TYPE__;
using u64 = __UINT64_TYPE__;
using s8 = __INT8_TYPE__;
using s16 = __INT16_TYPE__;
using s32 = __INT32_TYPE__;
using s64 = __INT64_TYPE__;
using usize = __SIZE_TYPE__;
using isize = __PTRDIFF_TYPE__;
using uptr = __UINTPTR_TYPE__;

} // namespace hotdma

namespace std
{
using size_t = __SIZE_TYPE__;
using nullptr_t = decltype(nullptr);
enum class align_val_t : size_t {};
} // namespace std
