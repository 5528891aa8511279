/*
 * Spin model of the hotdma hot path (get/put) against hotdma_unregister_device
 * (dmaengine/remove.cpp). Two CPUs, one device with one channel, two clients that each do two
 * get/prep/put rounds, migrating between CPUs (so a get on one CPU is put on the other), and
 * one remover. Every statement is a possible interruption point, so "load the slot, get
 * interrupted, then increment" is among the explored interleavings. Spin is sequentially
 * consistent; the one x86 (TSO) reordering that matters here, a load passing the client's
 * earlier non-atomic increment, is modelled explicitly in the get.
 *
 * Safety: nobody touches freed device memory, and no client reaches the provider after
 * terminate_all. tests/core.py runs it as is (no error allowed) and with each -DBROKEN_*
 * (an error is required: the check can fail):
 *   BROKEN_NO_GRACE_PERIOD   sum the counts right after unpublishing
 *   BROKEN_NO_SECOND_GP      free at the last put without the grace period for put_slow
 *   BROKEN_UNLOCKED_PREP     prep tests `offline` outside the channel lock
 */
#define NCPU 2

bit slot[NCPU];     /* the CPU's table row points at the device's channel */
short cnt[NCPU];    /* the device's per-CPU reference counts */
byte in_rs[NCPU];   /* RCU-sched read sides running on the CPU */
bit quiescing;      /* ChannelHot::quiescing (and the static key) */
bit offline;        /* Channel::offline, written under the channel lock */
bit terminated;     /* Provider::terminate_all ran */
bit freed;          /* the device's memory (channel, counters) is gone */

/* synchronize_rcu(): every CPU is seen outside its read sides once, after the call began. */
inline grace_period(i)
{
	i = 0;
	do
	:: i < NCPU -> (in_rs[i] == 0); i++
	:: else -> break
	od
}

inline read_sum(s)
{
	s = cnt[0];
	s = s + cnt[1]
}

proctype Client(byte home)
{
	byte cpu = home;
	bit got;
	bit q;
	byte round = 0;
	do
	:: round < 2 ->
		/* hotdma_chan_get */
		in_rs[cpu]++;
		got = slot[cpu];
		if
		:: got ->
			assert(!freed);            /* loads chan->percpu_refs */
			/*
			 * incq %gs:(...) is one instruction, but a plain store: on x86 (TSO) the
			 * load of `quiescing` after it may pass it (store buffer), so the re-check
			 * alone is no Dekker-style guarantee. Both orders are explored.
			 */
			if
			:: cnt[cpu]++; q = quiescing
			:: q = quiescing; cnt[cpu]++
			fi;
			if
			:: q ->                    /* static branch on: refuse */
				cnt[cpu]--;
				assert(!freed);    /* hotdma_chan_put_slow reads chan->device */
				got = 0
			:: else -> skip
			fi
		:: else -> skip
		fi;
		in_rs[cpu]--;
		if
		:: got ->
			/* the task may migrate before it uses and puts the channel */
			if
			:: cpu = 0
			:: cpu = 1
			fi;
			/* hotdma_prep: provider entry only if not offline */
#ifdef BROKEN_UNLOCKED_PREP
			if
			:: !offline -> assert(!terminated && !freed)
			:: else -> skip
			fi;
#else
			atomic {
				if
				:: !offline -> assert(!terminated && !freed)
				:: else -> skip
				fi
			};
#endif
			/* hotdma_chan_put, possibly on the other CPU */
			in_rs[cpu]++;
			assert(!freed);
			cnt[cpu]--;
			if
			:: quiescing -> assert(!freed)  /* put_slow */
			:: else -> skip
			fi;
			in_rs[cpu]--
		:: else -> skip
		fi;
		round++
	:: else -> break
	od
}

proctype Remover()
{
	byte i;
	short s;
	bit drained = 0;
	/* step 1: flag, unpublish (one row at a time) */
	quiescing = 1;
	slot[0] = 0;
	slot[1] = 0;
	/* step 2 */
#ifndef BROKEN_NO_GRACE_PERIOD
	grace_period(i);
#endif
	/* step 3: bounded drain; the racy sum is read CPU by CPU */
	do
	:: true ->
		read_sum(s);
		if
		:: s == 0 -> drained = 1; break
		:: else -> skip
		fi
	:: break  /* timed out: report holders, go on */
	od;
	/* step 4 */
	atomic { offline = 1 };
	terminated = 1;
	/* step 5: the last reference (a zombie waits for the sum to reach 0) */
	do
	:: drained -> break
	:: else ->
		read_sum(s);
		if
		:: s == 0 -> break
		:: else -> skip
		fi
	od;
#ifndef BROKEN_NO_SECOND_GP
	grace_period(i);
#endif
	freed = 1
}

init
{
	slot[0] = 1;
	slot[1] = 1;
	atomic {
		run Client(0);
		run Client(1);
		run Remover()
	}
}
