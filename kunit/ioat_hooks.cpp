// Checks behind kunit/ioat_kunit.c. Device-free: no kernel header, no hardware.
#include "../ioat/chanerr.h"
#include "../ioat/corelink.h"
#include "../ioat/descriptor.h"
#include "../ioat/registers.h"
#include "../ioat/ring.h"
#include "ioat_hooks.h"

using namespace hotdma;
using namespace hotdma::ioat;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return __LINE__;                                                           \
	} while (0)

namespace
{
bool streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}
} // namespace

extern "C" int hotdma_ioat_test_ring_wrap() noexcept
{
	RingIndex r(4);                // 16 slots
	r.reset_counters(0xfffffff8u); // counters overflow in the middle of the test
	CHECK(r.size() == 16 && r.slot(r.head()) == 8);
	r.produce(12);
	CHECK(r.head() == 4u && r.slot(r.head()) == 4); // wrapped past 2^32
	CHECK(r.active() == 12 && r.pending() == 12 && r.in_flight() == 0);
	CHECK(r.issue() == 12);
	CHECK(r.pending() == 0 && r.in_flight() == 12);
	r.retire(10);
	CHECK(r.active() == 2 && r.slot(r.tail()) == 2);
	return 0;
}

extern "C" int hotdma_ioat_test_ring_space() noexcept
{
	RingIndex r(2); // 4 slots, one always free
	CHECK(r.space() == 3);
	r.produce(3);
	CHECK(r.space() == 0);
	r.issue();
	r.retire(1);
	CHECK(r.space() == 1);
	r.produce(1);
	CHECK(r.pending() == 1 && r.in_flight() == 2 && r.space() == 0);
	RingIndex big(max_ring_order);
	CHECK(big.size() == 65536 && big.space() == 65535);
	return 0;
}

extern "C" int hotdma_ioat_test_ring_completion() noexcept
{
	RingIndex r(3); // 8 slots
	r.reset_counters(6);
	r.produce(5); // slots 6,7,0,1,2
	r.issue();
	r.produce(1); // slot 3: written, not issued
	CHECK(r.completed_through(6) == 1);
	CHECK(r.completed_through(0) == 3); // across the ring's end
	CHECK(r.completed_through(2) == 5);
	CHECK(r.completed_through(3) == 0); // not issued: the engine cannot have done it
	CHECK(r.completed_through(5) == 0); // behind tail: stale
	r.retire(r.completed_through(0));
	CHECK(r.slot(r.tail()) == 1 && r.in_flight() == 2);
	CHECK(r.completed_through(0) == 0); // the address just acted on is no longer in flight
	return 0;
}

extern "C" int hotdma_ioat_test_ring_rewind() noexcept
{
	RingIndex r(4);
	r.produce(6);
	r.issue();
	r.produce(2);
	r.retire(3);
	// After a reset the engine restarts at tail with everything unfinished, issued or not.
	CHECK(r.rewind_to_tail() == 5);
	CHECK(r.in_flight() == 0 && r.issue() == 5 && r.in_flight() == 5);
	return 0;
}

extern "C" int hotdma_ioat_test_doorbell_wrap() noexcept
{
	DoorbellCount c;
	CHECK(c.add(65530) == 65530);
	CHECK(c.add(10) == 4); // modulo 2^16, like the 16-bit DMACOUNT register
	c.restart();
	CHECK(c.value() == 0 && c.add(1) == 1);
	return 0;
}

extern "C" int hotdma_ioat_test_copy_split() noexcept
{
	CHECK(descriptors_for(0, 12) == 1);
	CHECK(descriptors_for(1, 12) == 1);
	CHECK(descriptors_for(4096, 12) == 1);
	CHECK(descriptors_for(4097, 12) == 2);
	CHECK(descriptors_for(3 * 4096 + 5, 12) == 4);
	CHECK(descriptors_for(u64(1) << 32, 20) == 4096);
	// Counts beyond 32 bits stay exact (2^52 bytes in 1 MiB pieces: 2^32 descriptors).
	CHECK(descriptors_for(u64(1) << 52, 20) == u64(1) << 32);
	CHECK(descriptors_for((u64(1) << 52) + 1, 20) == (u64(1) << 32) + 1);
	CHECK(descriptors_for(~u64(0), 31) == u64(1) << 33);
	CHECK(max_op_length(1024, 20) == 1023ull << 20);
	HwDescriptor d[4] = {};
	const u64 len = 3 * 4096 + 5, src = 0x10000003, dst = 0x20000001;
	u64 moved = 0;
	for (u32 i = 0; i < 4; i++) {
		d[i].next = 0x1234; // linked once; construction must not touch it
		build_copy(d[i], dst, src, len, 12, i, 4, OpFlags{});
		CHECK(d[i].src_addr == src + moved && d[i].dst_addr == dst + moved);
		CHECK(d[i].size == (i < 3 ? 4096u : 5u));
		CHECK(d[i].next == 0x1234);
		moved += d[i].size;
	}
	CHECK(moved == len);
	return 0;
}

extern "C" int hotdma_ioat_test_copy_ctl() noexcept
{
	HwDescriptor d[3] = {};
	for (u32 i = 0; i < 3; i++)
		build_copy(d[i], 0x2000, 0x1000, 3 * 64, 6, i, 3,
		           OpFlags{.interrupt = true, .fence = true});
	// Only the last descriptor writes back, interrupts and fences (prep.c).
	CHECK(d[0].ctl == 0 && d[1].ctl == 0);
	CHECK(d[2].ctl == (desc_ctl::compl_write | desc_ctl::int_en | desc_ctl::fence));
	HwDescriptor polled = {};
	build_copy(polled, 0, 0, 8, 12, 0, 1, OpFlags{.interrupt = false, .fence = false});
	CHECK(polled.ctl == desc_ctl::compl_write);
	// 6.1's typical single memcpy with interrupt: ctl 0x00000009 (model §5.3).
	HwDescriptor one = {};
	build_copy(one, 0, 0, 100, 20, 0, 1, OpFlags{});
	CHECK(one.ctl == 0x9 && one.size == 100);
	return 0;
}

extern "C" int hotdma_ioat_test_null_fill() noexcept
{
	HwDescriptor n = {};
	build_null(n, OpFlags{});
	// 6.1's prep_interrupt: null | int_en | compl_write = 0x29, size 1 (model §5.3).
	CHECK(n.ctl == 0x29 && n.size == null_descriptor_size);
	HwDescriptor f[2] = {};
	for (u32 i = 0; i < 2; i++)
		build_fill(f[i], 0x3000, 0x5a5a5a5a5a5a5a5aull, 4096 + 8, 12, i, 2, OpFlags{});
	CHECK((f[0].ctl >> desc_ctl::op_shift) == 0x01 && (f[1].ctl >> desc_ctl::op_shift) == 0x01);
	CHECK(f[0].src_addr == 0x5a5a5a5a5a5a5a5aull && f[1].src_addr == 0x5a5a5a5a5a5a5a5aull);
	CHECK(f[1].dst_addr == 0x3000 + 4096 && f[1].size == 8);
	CHECK(!(f[0].ctl & desc_ctl::compl_write) && (f[1].ctl & desc_ctl::compl_write));
	return 0;
}

extern "C" int hotdma_ioat_test_chanerr_data() noexcept
{
	// What the model raises for an injected read/write fault: one bit, one operation.
	const u32 list1[] = {chanerr::read_data, chanerr::write_data, chanerr::src_addr,
	                     chanerr::dest_addr};
	for (u32 bit : list1) {
		const ChanErrVerdict v = classify_chanerr(bit);
		CHECK(v.scope == ErrorScope::failing_operation && v.error == -err::io);
	}
	// 6.1 BUG()s on 8|9 together; here it is one failed operation too.
	CHECK(classify_chanerr(chanerr::read_data | chanerr::write_data).scope ==
	      ErrorScope::failing_operation);
	return 0;
}

extern "C" int hotdma_ioat_test_chanerr_descriptor() noexcept
{
	const u32 list2[] = {chanerr::control, chanerr::length, chanerr::descriptor_count};
	for (u32 bit : list2) {
		const ChanErrVerdict v = classify_chanerr(bit);
		CHECK(v.scope == ErrorScope::failing_operation && v.error == -err::inval);
	}
	const u32 list3[] = {chanerr::next_addr, chanerr::next_desc_align,
	                     chanerr::chain_addr_value, chanerr::completion_addr};
	for (u32 bit : list3) {
		const ChanErrVerdict v = classify_chanerr(bit);
		CHECK(v.scope == ErrorScope::failing_operation && v.error == -err::io);
	}
	return 0;
}

extern "C" int hotdma_ioat_test_chanerr_unattributed() noexcept
{
	// CHANERR 0 on a halt, data-integrity, unaffiliated and XOR bits on a memcpy: everything.
	const u32 list4[] = {0u,
	                     chanerr::dma_uncorrectable,
	                     chanerr::chipset_uncorrectable,
	                     chanerr::unaffiliated,
	                     chanerr::soft,
	                     chanerr::xor_p_or_crc,
	                     chanerr::read_data | chanerr::int_configuration,
	                     1u << 27,
	                     1u << 31};
	for (u32 v : list4)
		CHECK(classify_chanerr(v).scope == ErrorScope::everything_in_flight);
	const ChanErrVerdict dead = classify_chanerr(~0u);
	CHECK(dead.scope == ErrorScope::device_dead && dead.error == -err::nodev);
	return 0;
}

extern "C" int hotdma_ioat_test_chanerr_names() noexcept
{
	CHECK(streq(chanerr::name(8), "Read Data Error"));
	CHECK(streq(chanerr::name(9), "Write Data Error"));
	CHECK(streq(chanerr::name(27), "Result Reference Tag verification Error"));
	CHECK(streq(chanerr::name(31), "Reserved Error"));
	return 0;
}

extern "C" int hotdma_ioat_test_chanstatus() noexcept
{
	const ChanStatus halted(0x12345680ull | 3);
	CHECK(halted.halted() && halted.completed_address() == 0x12345680ull);
	CHECK(ChanStatus(0x40 | 1).running() && ChanStatus(0x40 | 0).running());
	CHECK(!ChanStatus(4).running() && ChanStatus(4).state() == ChanState::armed);
	CHECK(ChanStatus(~0ull).all_ones());
	CHECK(reg::ChanCtrl::run == 0x1d);
	CHECK(channel_block(0) == 0x80 && channel_block(3) == 0x200);
	return 0;
}

extern "C" int hotdma_ioat_test_corelink() noexcept
{
	// Normal life: published, then one claim unregisters (remove or the dead work), once.
	CoreLink a;
	bool alive = false;
	CHECK(!a.claim()); // before registration: nothing to unregister
	CHECK(!a.publish(&alive));
	CHECK(a.claim() && !a.claim());
	// The device died while probe was registering: the dead work ran and found nothing to
	// unregister, so probe must learn of it when it publishes, and unregister (once).
	CoreLink b;
	bool dying = true; // declare_dead
	CHECK(!b.claim()); // the dead work, too early
	CHECK(b.publish(&dying));
	CHECK(b.claim() && !b.claim());
	// Declared dead after publishing: the dead work claims; probe's requeue finds nothing.
	CoreLink c;
	bool later = false;
	CHECK(!c.publish(&later));
	later = true;
	CHECK(c.claim() && !c.claim());
	return 0;
}
