// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the device-free parts of the I/OAT driver (ring arithmetic, descriptors, CHANERR) and
 * the driver's channel itself against a fake register block.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include "ioat_hooks.h"

/* Each hook returns 0 or the line of its first failing check in FILE. */
#define HOOK_CASE_IN(name, hook, file)					\
static void name(struct kunit *test)					\
{									\
	int line = hook();						\
									\
	KUNIT_EXPECT_EQ_MSG(test, line, 0, "check at " file ":%d failed", line); \
}
#define HOOK_CASE(name, hook) HOOK_CASE_IN(name, hook, "ioat_hooks.cpp")
#define CHAN_CASE(name, hook) HOOK_CASE_IN(name, hook, "ioat_channel_hooks.cpp")

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
HOOK_CASE(death_during_registration_is_not_lost, hotdma_ioat_test_corelink)

/* The channel (ioat/channel_impl.h) on a fake register block. */
CHAN_CASE(channel_batches_submissions_and_retires_in_order, hotdma_ioat_test_chan_submit_retire)
CHAN_CASE(completion_rearm_is_written_outside_the_channel_lock,
	  hotdma_ioat_test_chan_rearm_outside_lock)
CHAN_CASE(doorbell_is_rung_without_the_cleanup_lock,
	  hotdma_ioat_test_chan_doorbell_outside_cleanup_lock)
CHAN_CASE(channel_refuses_operations_the_ring_cannot_hold, hotdma_ioat_test_chan_length_limits)
CHAN_CASE(channel_ring_and_dmacount_wrap, hotdma_ioat_test_chan_ring_wrap)
CHAN_CASE(data_error_fails_one_operation_and_restarts_the_rest,
	  hotdma_ioat_test_chan_error_restart)
CHAN_CASE(reset_is_polled_with_interrupts_enabled, hotdma_ioat_test_chan_reset_irqs_on)
CHAN_CASE(unattributed_error_fails_what_the_engine_had, hotdma_ioat_test_chan_unattributed_error)
CHAN_CASE(completion_address_error_blames_the_operation_after_chansts,
	  hotdma_ioat_test_chan_completion_error)
CHAN_CASE(stall_fails_only_issued_operations, hotdma_ioat_test_chan_stall)
CHAN_CASE(long_operation_progress_is_not_a_stall, hotdma_ioat_test_chan_long_operation)
CHAN_CASE(all_ones_stops_dma_before_failing_operations, hotdma_ioat_test_chan_dead_registers)
CHAN_CASE(reset_timeout_stops_dma_and_declares_dead, hotdma_ioat_test_chan_reset_timeout)
CHAN_CASE(submit_on_dead_device_completes_older_operations_first,
	  hotdma_ioat_test_chan_dead_submit_order)
CHAN_CASE(terminate_aborts_in_flight_in_order, hotdma_ioat_test_chan_terminate)
CHAN_CASE(terminate_lets_a_present_engine_finish_what_it_was_issued,
	  hotdma_ioat_test_chan_terminate_waits_for_issued)

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
	KUNIT_CASE(death_during_registration_is_not_lost),
	{}
};

static struct kunit_suite hotdma_ioat_suite = {
	.name = "hotdma_ioat_kunit",
	.test_cases = hotdma_ioat_cases,
};
static struct kunit_case hotdma_ioat_channel_cases[] = {
	KUNIT_CASE(channel_batches_submissions_and_retires_in_order),
	KUNIT_CASE(completion_rearm_is_written_outside_the_channel_lock),
	KUNIT_CASE(doorbell_is_rung_without_the_cleanup_lock),
	KUNIT_CASE(channel_refuses_operations_the_ring_cannot_hold),
	KUNIT_CASE(channel_ring_and_dmacount_wrap),
	KUNIT_CASE(data_error_fails_one_operation_and_restarts_the_rest),
	KUNIT_CASE(reset_is_polled_with_interrupts_enabled),
	KUNIT_CASE(unattributed_error_fails_what_the_engine_had),
	KUNIT_CASE(completion_address_error_blames_the_operation_after_chansts),
	KUNIT_CASE(stall_fails_only_issued_operations),
	KUNIT_CASE(long_operation_progress_is_not_a_stall),
	KUNIT_CASE(all_ones_stops_dma_before_failing_operations),
	KUNIT_CASE(reset_timeout_stops_dma_and_declares_dead),
	KUNIT_CASE(submit_on_dead_device_completes_older_operations_first),
	KUNIT_CASE(terminate_aborts_in_flight_in_order),
	KUNIT_CASE(terminate_lets_a_present_engine_finish_what_it_was_issued),
	{}
};

static struct kunit_suite hotdma_ioat_channel_suite = {
	.name = "hotdma_ioat_channel_kunit",
	.test_cases = hotdma_ioat_channel_cases,
};
kunit_test_suites(&hotdma_ioat_suite, &hotdma_ioat_channel_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma KUnit: I/OAT ring, descriptors, CHANERR decoding and the channel");
