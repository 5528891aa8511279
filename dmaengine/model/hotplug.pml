/*
 * Spin model of the hotdma hot path (get/put/hold, submit/callback) against
 * hotdma_unregister_device (dmaengine/remove.cpp) and the device's memory references
 * (core.cpp device_put). Two CPUs; one device with two channels: ch0 is in the per-CPU table,
 * ch1 is held exclusively; per-CPU, per-channel reference counts.
 *
 * Processes: two public clients (get, submit one operation whose callback they wait for, as
 * hotdma_test and hotdma_wait do, or put at once; they may migrate between CPUs, so a get on
 * one CPU is put on the other), one exclusive holder (hold / prep / put, then release), the
 * device's engine (completes what is in flight, unless the device is dead: `stalled`), a
 * store-buffer flusher, the remover, and the zombie poller it may start.
 *
 * Memory model: every statement is an interleaving point (so "load the slot, get interrupted,
 * then increment" is among the explored interleavings). The per-CPU count increments and
 * decrements are plain stores: they go to the CPU's store buffer (sb*) and reach memory
 * (cnt*) when the flusher drains them, at a locked instruction on that CPU, or when a grace
 * period observes the CPU in a quiescent state (a full barrier there). Other CPUs (the
 * remover's sum) read memory only. That is x86-TSO for the stores that matter; nothing in the
 * get is a hand-written reordering. The read side is the RCU-sched section of client.hpp: a
 * grace period waits, CPU by CPU, until that CPU is outside every such section.
 *
 * Checks (each a named bit, so the one that fired shows in pan's output):
 *   get_mem_ok      the get reads the channel (chan->percpu_refs) only while it is not freed
 *   put_mem_ok      the put reads the channel before its decrement while it is not freed
 *   slow_mem_ok     put_slow reads chan->device after its decrement while it is not freed
 *   provider_live   prep/submit reach the provider only before terminate_all
 *   dma_live        the engine touches a transaction's mapped memory only before revocation
 *   cb_mem_ok       a callback runs while the device's memory exists
 *   never_stuck     the removal never waits forever once every holder puts (no -DBOUNDED)
 * tests/core.py runs the model as is, with -DBOUNDED (the drain's bound may pass first: late
 * holders, the parked reference and the zombie poller), and each -DBROKEN_* variant, and
 * checks that the variant trips exactly its assertion:
 *   BROKEN_NO_GRACE_PERIOD   no grace period between unpublishing and going on     get_mem_ok
 *   BROKEN_EMPTY_READ_SIDE   the get's read side is invisible to grace periods     get_mem_ok
 *                            (the old code on CONFIG_PREEMPT_COUNT kernels)
 *   BROKEN_NO_SECOND_GP      free at the last reference without a grace period     slow_mem_ok
 *   BROKEN_SLOW_PUT_UNLOCKED put_slow without its own read side                    slow_mem_ok
 *   BROKEN_UNLOCKED_PREP     prep tests `offline` outside the channel lock         provider_live
 *   BROKEN_DRAIN_BEFORE_ABORT drain references before aborting in-flight work      never_stuck
 *   BROKEN_REVOKE_BEFORE_ABORT revoke mappings before terminate_all                dma_live
 */
#define NCPU 2
#ifndef NCLIENT
#define NCLIENT 1
#endif

bit slot[NCPU];      /* the CPU's table row points at ch0 */
short cnt0[NCPU];    /* ch0's per-CPU counts, in memory */
short cnt1[NCPU];    /* ch1's (exclusive) */
short sb0[NCPU];     /* not yet visible deltas in each CPU's store buffer */
short sb1[NCPU];
byte in_rs[NCPU];    /* RCU-sched read sides running on the CPU */
bit key;             /* the static key: puts take put_slow, gets re-check */
bit quiescing;       /* ChannelHot::quiescing */
bit lock;            /* the channel lock (one for both channels: they never nest) */
bit offline;         /* Channel::offline, under the lock */
bit terminated;      /* Provider::terminate_all ran */
bit revoked;         /* the removal unmapped the clients' mappings */
bit freed;           /* the device's memory (channels, counts) is gone */
byte refs = 2;       /* memory references: the registration and the exclusive holder */
bit inflight[2];     /* client i's operation is submitted and not finished */
bit called[2];       /* ... its callback ran */
bit stalled;         /* the engine stopped (a dead device): only terminate_all ends work */
bit progress;        /* the drain's completion (put_slow completes it) */
bit timed_out;       /* the drain's bound passed first */

bit get_mem_ok = 1, put_mem_ok = 1, slow_mem_ok = 1, provider_live = 1, dma_live = 1;
bit cb_mem_ok = 1, never_stuck = 1;

inline flush(c)
{
	cnt0[c] = cnt0[c] + sb0[c];
	sb0[c] = 0;
	cnt1[c] = cnt1[c] + sb1[c];
	sb1[c] = 0
}

#ifdef BROKEN_EMPTY_READ_SIDE
inline rs_begin(c) { skip }
inline rs_end(c) { skip }
#else
inline rs_begin(c) { in_rs[c]++ }
inline rs_end(c) { in_rs[c]-- }
#endif

/* synchronize_rcu_expedited(): every CPU is seen outside its read sides once, after the call
 * began; that observation is a full barrier on the CPU. */
inline grace_period(i)
{
	i = 0;
	do
	:: i < NCPU -> atomic { in_rs[i] == 0 -> flush(i) }; i++
	:: else -> break
	od
}

inline take_lock(c) { atomic { lock == 0 -> lock = 1; flush(c) } }
inline drop_lock() { lock = 0 }

/* hotdma_prep/hotdma_submit: the provider only under the lock, if not offline. */
inline prep(c, submitted, who)
{
#ifdef BROKEN_UNLOCKED_PREP
	if
	:: !offline -> take_lock(c); atomic { provider_live = !terminated; assert(provider_live) };
		if
		:: who < 2 -> inflight[who] = 1; submitted = 1
		:: else -> skip
		fi;
		drop_lock()
	:: else -> skip
	fi
#else
	take_lock(c);
	if
	:: !offline -> atomic { provider_live = !terminated; assert(provider_live) };
		if
		:: who < 2 -> inflight[who] = 1; submitted = 1
		:: else -> skip
		fi
	:: else -> skip
	fi;
	drop_lock()
#endif
}

/* hotdma_chan_put (ch = 0 or 1) on CPU c. */
inline put(c, ch)
{
	if
	:: key ->
		/* hotdma_chan_put_slow: its own read side covers what follows the decrement */
#ifndef BROKEN_SLOW_PUT_UNLOCKED
		rs_begin(c);
#endif
		if
		:: ch == 0 -> sb0[c]--
		:: else -> sb1[c]--
		fi;
		atomic { slow_mem_ok = !freed; assert(slow_mem_ok) }; /* chan->device */
		if
		:: quiescing -> atomic { progress = 1; flush(c) } /* complete(): a lock */
		:: else -> skip
		fi;
#ifndef BROKEN_SLOW_PUT_UNLOCKED
		rs_end(c)
#else
		skip
#endif
	:: else ->
		atomic { put_mem_ok = !freed; assert(put_mem_ok) }; /* chan->percpu_refs */
		if
		:: ch == 0 -> sb0[c]--
		:: else -> sb1[c]--
		fi
		/* nothing after the decrement */
	fi
}

/* The last memory reference: the core's memory after a grace period (rcu_work). */
inline free_memory(i)
{
#ifndef BROKEN_NO_SECOND_GP
	grace_period(i);
#endif
	freed = 1
}

inline put_ref(i)
{
	if
	:: atomic { refs == 1 -> refs = 0 } -> free_memory(i)
	:: atomic { refs > 1 -> refs-- }
	fi
}

proctype Client(byte id; byte home)
{
	byte cpu = home;
	bit got, q, k, submitted;
	/* hotdma_chan_get */
	rs_begin(cpu);
	got = slot[cpu];
	if
	:: got ->
		atomic { get_mem_ok = !freed; assert(get_mem_ok) }; /* loads chan->percpu_refs */
		sb0[cpu]++;
		k = key;
		q = quiescing;
		if
		:: k && q -> /* refuse: our reference goes to put_slow */
			rs_end(cpu); put(cpu, 0); got = 0
		:: else -> rs_end(cpu)
		fi
	:: else -> rs_end(cpu)
	fi;
	if
	:: got ->
		/* the task may migrate before it uses and puts the channel */
		if
		:: cpu = 0
		:: cpu = 1
		fi;
		if
		:: prep(cpu, submitted, id)
		:: skip /* no operation: just put */
		fi;
		if
		:: submitted -> called[id] /* keeps its reference until its callback */
		:: else -> skip
		fi;
		put(cpu, 0)
	:: else -> skip
	fi
}

proctype Exclusive()
{
	byte cpu, i;
	bit held, q, submitted;
	if
	:: cpu = 0
	:: cpu = 1
	fi;
	/* hotdma_chan_hold: same kind of read side as the get */
	rs_begin(cpu);
	q = quiescing;
	if
	:: !q -> sb1[cpu]++; held = 1
	:: else -> skip
	fi;
	rs_end(cpu);
	if
	:: held ->
		prep(cpu, submitted, 2);
		if
		:: cpu = 0
		:: cpu = 1
		fi;
		put(cpu, 1)
	:: else -> skip
	fi;
	/* hotdma_release_channel: its memory reference */
	put_ref(i)
}

/* The device's engine: finishes work unless the device is dead. */
proctype Engine()
{
	byte i;
	if
	:: stalled = 1
	:: skip
	fi;
end:	do
	:: atomic {
		!stalled && !terminated && (inflight[0] || inflight[1]) ->
		if
		:: inflight[0] -> i = 0
		:: inflight[1] -> i = 1
		fi;
		dma_live = !revoked; assert(dma_live); /* reads/writes the mapped buffers */
		cb_mem_ok = !freed; assert(cb_mem_ok);
		inflight[i] = 0;
		called[i] = 1
	}
	od
}

/* Store buffers drain on their own, in program order per CPU (one pending delta each). */
proctype Flusher()
{
end:	do
	:: atomic { sb0[0] != 0 || sb1[0] != 0 -> flush(0) }
	:: atomic { sb0[1] != 0 || sb1[1] != 0 -> flush(1) }
	od
}

/* Provider::terminate_all: stop the engine, abort what is in flight (callbacks, aborted). */
inline terminate_all()
{
	atomic {
		cb_mem_ok = !freed; assert(cb_mem_ok);
		if
		:: inflight[0] -> inflight[0] = 0; called[0] = 1
		:: else -> skip
		fi;
		if
		:: inflight[1] -> inflight[1] = 0; called[1] = 1
		:: else -> skip
		fi;
		terminated = 1
	}
}

/* The bounded drain; the racy sum is read CPU by CPU. */
inline drain(s)
{
	do
	:: s = cnt0[0] + cnt1[0];
	   s = s + cnt0[1] + cnt1[1];
	   if
	   :: s == 0 -> break
	   :: else ->
		if
		:: atomic { progress -> progress = 0 }
		/* the periodic re-poll sees a change (a put that took the fast path) */
		:: atomic { cnt0[0] + cnt1[0] + cnt0[1] + cnt1[1] != s -> skip }
#ifdef BOUNDED
		:: timed_out = 1; break /* drain_timeout_ms passed first */
#endif
		/* nothing else can move: the removal would wait forever */
		:: timeout -> never_stuck = 0; assert(never_stuck)
		fi
	   fi
	od
}

inline revoke_mappings() { revoked = 1 }

proctype Zombie()
{
	byte i;
	short s;
	/* zombie_work_fn: the parked reference goes when the sum reaches 0 */
	do
	:: s = cnt0[0] + cnt1[0];
	   s = s + cnt0[1] + cnt1[1];
	   if
	   :: s == 0 -> break
	   :: else -> skip
	   fi
	od;
	put_ref(i)
}

proctype Remover()
{
	byte i;
	short s;
	key = 1;                  /* step 0: put_slow from here */
	quiescing = 1;            /* step 1: flag, unpublish (one row at a time) */
	slot[0] = 0;
	slot[1] = 0;
#ifndef BROKEN_NO_GRACE_PERIOD
	grace_period(i);          /* step 2 */
#endif
#ifdef BROKEN_REVOKE_BEFORE_ABORT
	revoke_mappings();
#endif
#ifdef BROKEN_DRAIN_BEFORE_ABORT
	drain(s);
#endif
	atomic { lock == 0 -> offline = 1 }; /* step 4: offline under the lock, then abort */
	terminate_all();
#ifndef BROKEN_DRAIN_BEFORE_ABORT
	drain(s);                 /* step 5 */
#endif
#ifndef BROKEN_REVOKE_BEFORE_ABORT
	revoke_mappings();        /* step 6 */
#endif
	if
	:: timed_out -> atomic { refs++ }; run Zombie() /* park the late holders' reference */
	:: else -> skip
	fi;
	key = 0;
	put_ref(i)                /* step 7: the registration's reference */
}

init
{
	slot[0] = 1;
	slot[1] = 1;
	atomic {
		run Flusher();
		run Engine();
		run Client(0, 0);
#if NCLIENT > 1
		run Client(1, 1);
#endif
		run Exclusive();
		run Remover()
	}
}
