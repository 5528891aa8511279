// Intrusive doubly linked list (like list_head): the node lives in the element, nothing is
// allocated. Not thread-safe: the owner's lock protects it.
#pragma once
#include <hotdma/rt/types.h>

namespace hotdma
{

struct ListNode {
	ListNode *prev = this;
	ListNode *next = this;

	bool linked() const { return next != this; }
	void unlink()
	{
		prev->next = next;
		next->prev = prev;
		prev = next = this;
	}
};

// T has a ListNode member `Member`.
template <typename T, ListNode T::*Member>
class List
{
      public:
	List() = default;
	List(const List &) = delete;
	List &operator=(const List &) = delete;

	bool empty() const { return !head_.linked(); }
	void push_back(T &item)
	{
		ListNode &n = item.*Member;
		n.prev = head_.prev;
		n.next = &head_;
		head_.prev->next = &n;
		head_.prev = &n;
	}
	T *front() { return empty() ? nullptr : owner(head_.next); }
	T *pop_front()
	{
		T *t = front();
		if (t)
			(t->*Member).unlink();
		return t;
	}
	static void remove(T &item) { (item.*Member).unlink(); }
	// Moves every element of `other` to the end of this list.
	void splice_back(List &other)
	{
		while (T *t = other.pop_front())
			push_back(*t);
	}

	template <typename F>
	void for_each(F &&fn)
	{
		for (ListNode *n = head_.next, *next = n->next; n != &head_;
		     n = next, next = n->next)
			fn(*owner(n));
	}

      private:
	static T *owner(ListNode *n)
	{
		// offsetof for a pointer-to-member: the node's distance from the element's start.
		const T *probe = nullptr;
		auto offset = reinterpret_cast<uptr>(&(probe->*Member));
		return reinterpret_cast<T *>(reinterpret_cast<uptr>(n) - offset);
	}

	ListNode head_;
};

} // namespace hotdma
