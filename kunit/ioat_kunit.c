// SPDX-License-Identifier: GPL-2.0
/* KUnit: device-free parts of the I/OAT driver (ring arithmetic, descriptors, CHANERR). */
#include <kunit/test.h>
#include <linux/module.h>
#include "ioat_hooks.h"

#define HOOK_CASE(name, hook)						\
static void name(struct kunit *test)					\
{									\
	int line = hook();						\
									\
	KUNIT_EXPECT_EQ_MSG(test, line, 0, "check at ioat_hooks.cpp:%d failed", line); \
}

HOOK_CASE(ring_indices_wrap_across_counter_overflow, hotdma_ioat_test_ring_wrap)
HOOK_CASE(ring_keeps_one_slot_free, hotdma_ioat_test_ring_space)
HOOK_CASE(completion_address_retires_only_issued_descriptors, hotdma_ioat_test_ring_completion)
HOOK_CASE(restart_reissues_every_unfinished_descriptor, hotdma_ioat_test_ring_rewind)
HOOK_CASE(doorbell_count_wraps_at_16_bits, hotdma_ioat_test_doorbell_wrap)
HOOK_CASE(copies_split_at_xfercap, hotdma_ioat_test_copy_split)
HOOK_CASE(only_last_descriptor_writes_back_and_interrupts, hotdma_ioat_test_copy_ctl)
HOOK_CASE(null_and_fill_descriptors_match_the_hardware_format, hotdma_ioat_test_null_fill)
HOOK_CASE(data_errors_fail_one_operation, hotdma_ioat_test_chanerr_data)
HOOK_CASE(descriptor_errors_fail_one_operation, hotdma_ioat_test_chanerr_descriptor)
HOOK_CASE(unattributed_errors_abort_everything, hotdma_ioat_test_chanerr_unattributed)
HOOK_CASE(chanerr_bits_have_6_1_names, hotdma_ioat_test_chanerr_names)
HOOK_CASE(chansts_decodes_address_and_state, hotdma_ioat_test_chanstatus)

static struct kunit_case hotdma_ioat_cases[] = {
	KUNIT_CASE(ring_indices_wrap_across_counter_overflow),
	KUNIT_CASE(ring_keeps_one_slot_free),
	KUNIT_CASE(completion_address_retires_only_issued_descriptors),
	KUNIT_CASE(restart_reissues_every_unfinished_descriptor),
	KUNIT_CASE(doorbell_count_wraps_at_16_bits),
	KUNIT_CASE(copies_split_at_xfercap),
	KUNIT_CASE(only_last_descriptor_writes_back_and_interrupts),
	KUNIT_CASE(null_and_fill_descriptors_match_the_hardware_format),
	KUNIT_CASE(data_errors_fail_one_operation),
	KUNIT_CASE(descriptor_errors_fail_one_operation),
	KUNIT_CASE(unattributed_errors_abort_everything),
	KUNIT_CASE(chanerr_bits_have_6_1_names),
	KUNIT_CASE(chansts_decodes_address_and_state),
	{}
};

static struct kunit_suite hotdma_ioat_suite = {
	.name = "hotdma_ioat_kunit",
	.test_cases = hotdma_ioat_cases,
};
kunit_test_suites(&hotdma_ioat_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma KUnit: I/OAT ring, descriptors and CHANERR decoding");
