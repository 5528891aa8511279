/*
 * Intel I/OAT ("QuickData", Crystal Beach 3.x) DMA engine model for the
 * hotdma rig.
 *
 * The model is written against the hotdma I/OAT programming model
 * (ioat-programming-model.md in the shared design docs, "spec §n" below),
 * whose ground truth is Linux 6.1 drivers/dma/ioat/.  The unmodified 6.1
 * ioatdma driver and dmatest are its reference peer.
 *
 * What it models:
 *  - PCI identity 8086:2021 (SKX, CBVER 0x32) by default, or any ID/CBVER
 *    through the device-id/cbver properties (e.g. 0b00/ICX with CBVER 0x34);
 *    a PCIe endpoint with 4 KiB config space and the CHANERR_INT (0x180:
 *    every halting error of any channel, write 1 to clear, minus the bits
 *    masked in CHANERRMSK_INT 0x184) and DMAUNCERRSTS (0x148) config
 *    registers; BAR0 (64-bit, 16 KiB) holding the registers, the MSI-X table
 *    (0x2000) and PBA (0x3000); MSI and INTx (ATTNSTATUS) as fallbacks.
 *  - 1..4 channels, each a descriptor engine following next pointers until
 *    its descriptor count reaches DMACOUNT (16 bits, wrapping): COPY (any
 *    alignment), NULL and FILL descriptors, completion write-back,
 *    INT_REARM arming, CHANERR halts with the single error bit 6.1's error
 *    handler expects.  CHANSTS names the last descriptor that completed,
 *    never the failing one, for every error including a failed write-back
 *    (bit 12).  Errors masked in CHANERR_MASK neither halt nor show in
 *    CHANERR: the descriptor completes (fetch errors cannot be masked).
 *  - An optional throttle (bandwidth, per-descriptor latency) on the
 *    virtual clock, and run-time fault injection through qom-set.
 *
 * Properties:
 *   channels=1..4 (4)  xfercap=1..30 (20, log2 bytes)  device-id (0x2021)
 *   cbver (0 = 0x34 for device 0x0b00, else 0x32)
 *   bandwidth (bytes/s, 0 = unthrottled)  latency (ns per descriptor)
 *   fault=none|read-error|write-error|completion-error|descriptor-error|
 *         stall|hang|unaffiliated|dead
 *   fault-channel=-1|0..3
 * bandwidth, latency, fault and fault-channel can also be changed at run
 * time with qom-set.  Set fault-channel before fault: the fault is applied
 * to the channels selected at the moment it is set.  read-error, write-error,
 * completion-error, descriptor-error and unaffiliated are one-shot per
 * channel (qom-get shows "none" once used): the next data descriptor fails
 * its read or write (CHANERR bit 8 or 9), the next completion write-back
 * fails (bit 12), the next descriptor fetched is refused as a descriptor
 * error (bit 11, as if its length were invalid), or the channel halts before
 * its next descriptor with bit 15, which no descriptor can be blamed for.
 * stall stops the channel until cleared; hang wedges it on the next
 * descriptor it fetches: from then on SUSPEND and RESET are ineffective
 * (CHANCMD bit 5 stays set) until the fault is cleared, when the wedged
 * descriptor runs and then the pending reset.
 * dead turns the BAR and the config space into all ones and stops all DMA
 * and interrupts.
 *
 * Tracing (off by default): -trace 'ioat_*'.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/host-utils.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "trace.h"

#define TYPE_HOTDMA_IOAT "intel-ioat"
OBJECT_DECLARE_SIMPLE_TYPE(IoatState, HOTDMA_IOAT)

/* Layout of BAR0 and config space. */
#define IOAT_BAR_SIZE           (16 * KiB)
#define IOAT_MSIX_TABLE_OFFSET  0x2000
#define IOAT_MSIX_PBA_OFFSET    0x3000
#define IOAT_CAP_MSI            0x50
#define IOAT_CAP_MSIX           0x80
#define IOAT_CAP_EXP            0x90
#define IOAT_CFG_DMAUNCERRSTS   0x148
#define IOAT_CFG_CHANERR_INT    0x180
#define IOAT_CFG_CHANERRMSK_INT 0x184

#define IOAT_MAX_CHANNELS       4       /* 6.1's IOAT_MAX_CHANS */
#define IOAT_CHAN_STRIDE        0x80    /* channel i at 0x80 * (i + 1) */
#define IOAT_DESC_SIZE          64

/* Device registers (spec §2, registers.h). */
#define INTRCTRL_MASTER_INT_EN  0x01
#define INTRCTRL_INT_STATUS     0x02
#define INTRCTRL_INT            0x04
#define INTRCTRL_MSIX_VECCTRL   0x08
#define INTRDELAY_MASK          0x3fff
#define DMACAP_FILL_BLOCK       0x00000040

/* Channel registers (spec §3). */
#define CHANCTRL_INT_REARM      0x0001
#define CHANCTRL_ERR_COMPL_EN   0x0004
#define CHANCTRL_ERR_INT_EN     0x0010
#define CHANCMD_START           0x01
#define CHANCMD_APPEND          0x02
#define CHANCMD_SUSPEND         0x04
#define CHANCMD_ABORT           0x08
#define CHANCMD_RESUME          0x10
#define CHANCMD_RESET           0x20

#define CHANERR_NEXT_ADDR       (1u << 2)
#define CHANERR_NEXT_ALIGN      (1u << 3)
#define CHANERR_CHAIN_ADDR      (1u << 4)
#define CHANERR_READ_DATA       (1u << 8)
#define CHANERR_WRITE_DATA      (1u << 9)
#define CHANERR_CONTROL         (1u << 10)
#define CHANERR_LENGTH          (1u << 11)
#define CHANERR_COMPLETION_ADDR (1u << 12)
#define CHANERR_UNAFFILIATED    (1u << 15)

/* CHANSTS status bits beside the state (spec §3). */
#define CHANSTS_UNAFFILIATED_ERR 0x8

/* CHANSTS[2:0]; ARMED is the DPDK name, 6.1 only knows 0-3 (spec §3). */
enum {
    CHAN_ACTIVE = 0,
    CHAN_DONE = 1,
    CHAN_SUSPENDED = 2,
    CHAN_HALTED = 3,
    CHAN_ARMED = 4,
};

/* Descriptor control word (hw.h struct ioat_dma_descriptor). */
#define DESC_INT_EN             (1u << 0)
#define DESC_COMPL_WRITE        (1u << 3)
#define DESC_FENCE              (1u << 4)
#define DESC_NULL               (1u << 5)
#define DESC_OP(ctl)            ((ctl) >> 24)
#define OP_COPY                 0x00
/* Not in 6.1's hw.h; opcode and layout from SPDK's ioat_spec.h (spec §4). */
#define OP_FILL                 0x01

/*
 * Engine batching: a bottom-half run moves at most this much before it
 * yields, so vCPUs waiting for the BQL (MMIO) keep running.
 */
#define IOAT_BATCH_DESCS        64
#define IOAT_BATCH_BYTES        (1 * MiB)
#define IOAT_CHUNK              (64 * KiB)

typedef enum IoatFault {
    IOAT_FAULT_NONE,
    IOAT_FAULT_READ_ERROR,
    IOAT_FAULT_WRITE_ERROR,
    IOAT_FAULT_STALL,
    IOAT_FAULT_DEAD,
    IOAT_FAULT_HANG,
    IOAT_FAULT_UNAFFILIATED,
    IOAT_FAULT_COMPLETION_ERROR,
    IOAT_FAULT_DESC_ERROR,
    IOAT_FAULT__MAX,
} IoatFault;

static const char *const ioat_fault_names[IOAT_FAULT__MAX] = {
    [IOAT_FAULT_NONE] = "none",
    [IOAT_FAULT_READ_ERROR] = "read-error",
    [IOAT_FAULT_WRITE_ERROR] = "write-error",
    [IOAT_FAULT_STALL] = "stall",
    [IOAT_FAULT_DEAD] = "dead",
    [IOAT_FAULT_HANG] = "hang",
    [IOAT_FAULT_UNAFFILIATED] = "unaffiliated",
    [IOAT_FAULT_COMPLETION_ERROR] = "completion-error",
    [IOAT_FAULT_DESC_ERROR] = "descriptor-error",
};

typedef struct IoatDesc {
    uint32_t size;
    uint32_t ctl;
    uint64_t src;       /* COPY: source; FILL: the 64-bit pattern */
    uint64_t dst;
    uint64_t next;
} IoatDesc;

typedef enum IoatExec {
    IOAT_EXEC_DONE,
    IOAT_EXEC_PARTIAL,  /* batch budget spent inside the descriptor */
    IOAT_EXEC_ERROR,    /* channel halted */
} IoatExec;

typedef struct IoatChan {
    IoatState *s;
    unsigned idx;

    /* Registers. */
    uint16_t chanctrl;
    uint16_t dmacount;
    uint64_t chainaddr;
    uint64_t chancmp;
    uint32_t chanerr;
    uint32_t chanerr_mask;
    uint32_t dcactrl;
    uint16_t drsctl;        /* v3.4 registers, stored only */
    uint8_t ltr_swsel;
    uint32_t ltr_active;
    uint32_t ltr_idle;
    uint32_t chansts_hi_latch;
    bool chansts_latched;

    /* Engine. */
    uint8_t state;
    uint8_t sts_flags;      /* CHANSTS bits 3..5 (UNAFFILIATED_ERR) */
    bool wedged;            /* fault=hang took hold on a fetched descriptor */
    bool reset_latched;     /* RESET asked while wedged: done once it runs */
    uint16_t hw_count;      /* descriptors completed since CHAINADDR */
    uint64_t cur;           /* next descriptor to fetch */
    uint64_t last_done;     /* last completed descriptor, 0 after CHAINADDR */
    bool chain_start;       /* cur still is CHAINADDR: picks the error bit */
    bool armed;             /* CHANCTRL.INT_REARM seen since last interrupt */
    bool int_pending;       /* an interrupt waits for arming/enabling */
    bool have_desc;         /* desc fetched, not yet completed */
    IoatDesc desc;
    uint64_t desc_done;     /* bytes of desc already moved */
    int64_t deadline;       /* throttle: desc may complete at this time */
    IoatFault fault;
    QEMUBH *bh;
    QEMUTimer *timer;
} IoatChan;

struct IoatState {
    PCIDevice parent_obj;

    MemoryRegion bar0;      /* container: regs, MSI-X, dead overlay */
    MemoryRegion regs;
    MemoryRegion dead_mr;

    /* Properties. */
    uint8_t channels;
    uint8_t xfercap;
    uint16_t device_id;
    uint8_t cbver;
    uint64_t bandwidth;     /* bytes per second, 0 = unthrottled */
    uint64_t latency;       /* ns per descriptor */
    int64_t fault_channel;  /* -1 = all channels */
    bool dead;

    /* Device registers. */
    uint8_t genctrl;
    uint8_t intrctrl;
    uint32_t attnstatus;
    uint16_t intrdelay;
    uint8_t prefetch_limit;

    int64_t bw_free_at;     /* the engine's bandwidth is shared by channels */
    uint8_t *buf;           /* bounce buffer, IOAT_CHUNK bytes */
    IoatChan chan[IOAT_MAX_CHANNELS];
};

static bool ioat_throttled(IoatState *s)
{
    return s->bandwidth || s->latency;
}

static uint64_t ioat_chansts(IoatChan *c)
{
    return (c->last_done & ~0x3fULL) | c->sts_flags | c->state;
}

static void ioat_chan_set_state(IoatChan *c, uint8_t state)
{
    if (c->state != state) {
        trace_ioat_chan_state(c->idx, c->state, state);
        c->state = state;
    }
}

/* ---- Interrupts (spec §5.5) ---- */

/*
 * INTx is level triggered: asserted while a channel requests attention in
 * single-vector mode, dropped when the handler's ATTNSTATUS read consumes it.
 */
static void ioat_update_intx(IoatState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    bool level = s->attnstatus && (s->intrctrl & INTRCTRL_MASTER_INT_EN) &&
                 !msi_enabled(pdev) && !msix_enabled(pdev) && !s->dead;

    pci_set_irq(pdev, level);
}

/* Returns false if interrupts are disabled, so the request stays pending. */
static bool ioat_signal(IoatChan *c)
{
    IoatState *s = c->s;
    PCIDevice *pdev = PCI_DEVICE(s);

    if (s->dead) {
        return false;
    }
    if (msix_enabled(pdev)) {
        /*
         * The VFIO selftest saw real SKX send MSI-X with MASTER_INT_EN clear,
         * so only the per-vector control bit is required (spec §7).
         */
        if (!(s->intrctrl & INTRCTRL_MSIX_VECCTRL)) {
            return false;
        }
        trace_ioat_irq(c->idx, "msix");
        msix_notify(pdev, c->idx);
        return true;
    }
    if (!(s->intrctrl & INTRCTRL_MASTER_INT_EN)) {
        return false;
    }
    s->attnstatus |= 1u << c->idx;
    if (msi_enabled(pdev)) {
        trace_ioat_irq(c->idx, "msi");
        msi_notify(pdev, 0);
    } else {
        trace_ioat_irq(c->idx, "intx");
        ioat_update_intx(s);
    }
    return true;
}

/*
 * One interrupt per arming: 6.1 rewrites CHANCTRL (INT_REARM) only at the
 * end of the cleanup tasklet that the interrupt scheduled (dma.c:693-701),
 * so the channel disarms when it fires and a completion that arrives while
 * disarmed fires at the next re-arm.
 */
static void ioat_chan_try_interrupt(IoatChan *c)
{
    if (c->int_pending && c->armed && ioat_signal(c)) {
        c->int_pending = false;
        c->armed = false;
    }
}

static void ioat_chan_raise(IoatChan *c)
{
    c->int_pending = true;
    ioat_chan_try_interrupt(c);
    if (c->int_pending) {
        trace_ioat_irq_deferred(c->idx, c->armed);
    }
}

static void ioat_retry_interrupts(IoatState *s)
{
    for (unsigned i = 0; i < s->channels; i++) {
        ioat_chan_try_interrupt(&s->chan[i]);
    }
}

/* ---- Engine ---- */

static void ioat_chan_drop_inflight(IoatChan *c)
{
    c->have_desc = false;
    c->desc_done = 0;
    c->deadline = 0;
    timer_del(c->timer);
}

/*
 * stall freezes the engine where it is (a fetched descriptor stays); hang
 * lets it fetch the next descriptor and then freezes (ioat_chan_run).
 */
static bool ioat_chan_frozen(IoatChan *c)
{
    return c->fault == IOAT_FAULT_STALL || c->s->dead;
}

static bool ioat_chan_runnable(IoatChan *c)
{
    return c->state == CHAN_ACTIVE && c->hw_count != c->dmacount &&
           !ioat_chan_frozen(c);
}

static void ioat_chan_kick(IoatChan *c)
{
    if (ioat_chan_runnable(c)) {
        qemu_bh_schedule(c->bh);
    }
}

/* Write the 8-byte completion word (CHANSTS format) to CHANCMP. */
static bool ioat_chan_writeback(IoatChan *c, uint64_t val)
{
    uint8_t buf[8];

    if (c->chancmp & 7) {
        return false;
    }
    stq_le_p(buf, val);
    return pci_dma_write(PCI_DEVICE(c->s), c->chancmp, buf, sizeof(buf)) ==
           MEMTX_OK;
}

/*
 * Halt with exactly one CHANERR bit.  6.1's ioat_eh() BUG()s on any bit it
 * does not handle, so a data fault must report bit 8 or bit 9 alone
 * (dma.c:801-844).  The write-back carries the last *successful*
 * descriptor (0 if none since CHAINADDR): 6.1 cleans up to it and blames
 * the next ring entry (dma.c:787-797).
 */
static void ioat_chan_halt(IoatChan *c, uint32_t err)
{
    uint8_t *cfg = PCI_DEVICE(c->s)->config;
    uint32_t unmasked_int = err & ~pci_get_long(cfg + IOAT_CFG_CHANERRMSK_INT);

    trace_ioat_chan_halt(c->idx, c->cur, err);
    ioat_chan_drop_inflight(c);
    c->chanerr |= err;
    /* CHANERR_INT in config space collects the errors, write 1 to clear. */
    pci_set_long(cfg + IOAT_CFG_CHANERR_INT,
                 pci_get_long(cfg + IOAT_CFG_CHANERR_INT) | unmasked_int);
    ioat_chan_set_state(c, CHAN_HALTED);
    if (c->chanctrl & CHANCTRL_ERR_COMPL_EN) {
        /* A failing write-back is not reported: it would add a second bit. */
        ioat_chan_writeback(c, ioat_chansts(c));
    }
    if (c->chanctrl & CHANCTRL_ERR_INT_EN) {
        ioat_chan_raise(c);
    }
}

/*
 * An error the engine could carry on after (a data access, a descriptor it
 * fetched but cannot run, a completion write-back, an unaffiliated error).
 * Bits set in CHANERR_MASK are neither reported nor halt the channel: the
 * caller then completes the descriptor (what it moved so far stays moved),
 * the behaviour 6.1's BWD quirk relies on when it masks XOR errors.
 * Returns true if the channel halted.
 */
static bool ioat_chan_error(IoatChan *c, uint32_t err)
{
    uint32_t unmasked = err & ~c->chanerr_mask;

    if (!unmasked) {
        trace_ioat_chan_masked(c->idx, c->cur, err);
        return false;
    }
    ioat_chan_halt(c, unmasked);
    return true;
}

static int64_t ioat_desc_deadline(IoatState *s, const IoatDesc *d)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t t = now;
    bool moves_data = DESC_OP(d->ctl) == OP_FILL || !(d->ctl & DESC_NULL);

    if (s->bandwidth && moves_data) {
        t = MAX(now, s->bw_free_at) +
            muldiv64(d->size, NANOSECONDS_PER_SECOND, s->bandwidth);
        s->bw_free_at = t;
    }
    return t + s->latency;
}

static bool ioat_chan_fetch(IoatChan *c)
{
    IoatState *s = c->s;
    uint8_t raw[IOAT_DESC_SIZE];
    IoatDesc *d = &c->desc;
    uint8_t op;
    bool injected;

    if (c->cur & (IOAT_DESC_SIZE - 1)) {
        ioat_chan_halt(c, c->chain_start ? CHANERR_CHAIN_ADDR
                                         : CHANERR_NEXT_ALIGN);
        return false;
    }
    if (pci_dma_read(PCI_DEVICE(s), c->cur, raw, sizeof(raw)) != MEMTX_OK) {
        ioat_chan_halt(c, c->chain_start ? CHANERR_CHAIN_ADDR
                                         : CHANERR_NEXT_ADDR);
        return false;
    }
    d->size = ldl_le_p(raw + 0x00);
    d->ctl = ldl_le_p(raw + 0x04);
    d->src = ldq_le_p(raw + 0x08);
    d->dst = ldq_le_p(raw + 0x10);
    d->next = ldq_le_p(raw + 0x18);
    trace_ioat_desc_fetch(c->idx, c->cur, d->size, d->ctl, d->src, d->dst,
                          d->next);

    c->have_desc = true;
    c->desc_done = 0;
    op = DESC_OP(d->ctl);
    /*
     * fault=descriptor-error (one-shot): this descriptor is refused like one
     * with an invalid length, the error a bad descriptor from the driver
     * would meet (a driver that works never writes one).
     */
    injected = c->fault == IOAT_FAULT_DESC_ERROR;
    if (injected) {
        trace_ioat_fault_hit(c->idx, ioat_fault_names[c->fault]);
        c->fault = IOAT_FAULT_NONE;
    }
    /*
     * Size 0 is an error even for NULL descriptors: 6.1 gives its NULL
     * descriptors size 1 because "channel returns error when size is 0"
     * (dma.c __ioat_start_null_desc).  Masked, such a descriptor completes
     * without moving data.
     */
    if (injected || (op != OP_COPY && op != OP_FILL) ||
        d->size == 0 || d->size > (1ULL << s->xfercap)) {
        if (ioat_chan_error(c, op != OP_COPY && op != OP_FILL ?
                               CHANERR_CONTROL : CHANERR_LENGTH)) {
            return false;
        }
        d->ctl = (d->ctl & ~(0xffu << 24)) | DESC_NULL;
    }
    c->deadline = ioat_throttled(s) ? ioat_desc_deadline(s, d) : 0;
    return true;
}

/*
 * Move the descriptor's data, in IOAT_CHUNK pieces through the bounce
 * buffer, stopping early when the batch budget runs out.  All accesses go
 * through pci_dma_*, so bus-master enable and a vIOMMU are honoured.
 */
static IoatExec ioat_chan_execute(IoatChan *c, uint64_t *budget)
{
    IoatState *s = c->s;
    PCIDevice *pdev = PCI_DEVICE(s);
    IoatDesc *d = &c->desc;
    bool fill = DESC_OP(d->ctl) == OP_FILL;

    if (!fill && (d->ctl & DESC_NULL)) {
        return IOAT_EXEC_DONE;
    }
    if (c->desc_done == 0 && (c->fault == IOAT_FAULT_READ_ERROR ||
                              c->fault == IOAT_FAULT_WRITE_ERROR)) {
        /* One-shot: the next data descriptor fails, then normal service. */
        uint32_t err = c->fault == IOAT_FAULT_READ_ERROR ? CHANERR_READ_DATA
                                                         : CHANERR_WRITE_DATA;
        trace_ioat_fault_hit(c->idx, ioat_fault_names[c->fault]);
        c->fault = IOAT_FAULT_NONE;
        return ioat_chan_error(c, err) ? IOAT_EXEC_ERROR : IOAT_EXEC_DONE;
    }
    while (c->desc_done < d->size) {
        uint64_t len = MIN(MIN(d->size - c->desc_done, IOAT_CHUNK), *budget);

        if (len == 0) {
            return IOAT_EXEC_PARTIAL;
        }
        if (fill) {
            /*
             * The pattern's byte k lands at dst + k (mod 8): index it by the
             * offset inside the descriptor, since a piece may start anywhere
             * (the batch budget can end one at any byte).
             */
            for (uint64_t i = 0; i < len; i++) {
                s->buf[i] = d->src >> (8 * ((c->desc_done + i) & 7));
            }
        } else if (pci_dma_read(pdev, d->src + c->desc_done, s->buf, len) !=
                   MEMTX_OK) {
            return ioat_chan_error(c, CHANERR_READ_DATA) ? IOAT_EXEC_ERROR
                                                          : IOAT_EXEC_DONE;
        }
        if (pci_dma_write(pdev, d->dst + c->desc_done, s->buf, len) !=
            MEMTX_OK) {
            return ioat_chan_error(c, CHANERR_WRITE_DATA) ? IOAT_EXEC_ERROR
                                                           : IOAT_EXEC_DONE;
        }
        c->desc_done += len;
        *budget -= len;
    }
    return IOAT_EXEC_DONE;
}

/* A descriptor's completion write-back; fault=completion-error fails one. */
static bool ioat_chan_completion_write(IoatChan *c, uint64_t sts)
{
    if (c->fault == IOAT_FAULT_COMPLETION_ERROR) {
        trace_ioat_fault_hit(c->idx, ioat_fault_names[c->fault]);
        c->fault = IOAT_FAULT_NONE;
        return false;
    }
    return ioat_chan_writeback(c, sts);
}

/*
 * The write-back must land before the interrupt (spec §5.4 rule 4); both
 * happen here in order.  Fences are satisfied trivially: a channel runs its
 * descriptors strictly one after the other.
 */
static void ioat_chan_complete(IoatChan *c)
{
    uint32_t ctl = c->desc.ctl;
    uint16_t count = c->hw_count + 1;
    uint8_t state = count == c->dmacount ? CHAN_DONE : c->state;
    uint64_t sts = (c->cur & ~0x3fULL) | c->sts_flags | state;

    /*
     * A failed write-back (CHANERR bit 12) halts on this descriptor: CHANSTS
     * keeps naming the last one that completed, as for every other error
     * (spec §3), so software blames this descriptor's operation.
     */
    if ((ctl & DESC_COMPL_WRITE) && !ioat_chan_completion_write(c, sts) &&
        ioat_chan_error(c, CHANERR_COMPLETION_ADDR)) {
        return;
    }
    c->have_desc = false;
    c->last_done = c->cur;
    c->cur = c->desc.next;
    c->chain_start = false;
    c->hw_count = count;
    ioat_chan_set_state(c, state);
    trace_ioat_desc_done(c->idx, c->last_done, c->hw_count, ioat_chansts(c));
    if (ctl & DESC_INT_EN) {
        ioat_chan_raise(c);
    }
}

/* Runs from the channel's bottom half, under the BQL. */
static void ioat_chan_reset(IoatChan *c);

/* fault=unaffiliated: an error of the channel, not of any descriptor. */
static bool ioat_chan_unaffiliated(IoatChan *c)
{
    if (c->fault != IOAT_FAULT_UNAFFILIATED) {
        return false;
    }
    trace_ioat_fault_hit(c->idx, ioat_fault_names[c->fault]);
    c->fault = IOAT_FAULT_NONE;
    if (CHANERR_UNAFFILIATED & ~c->chanerr_mask) {
        c->sts_flags |= CHANSTS_UNAFFILIATED_ERR;
    }
    return ioat_chan_error(c, CHANERR_UNAFFILIATED);
}

static void ioat_chan_run(IoatChan *c)
{
    uint64_t budget = IOAT_BATCH_BYTES;
    unsigned descs = 0;

    while (ioat_chan_runnable(c)) {
        if (descs == IOAT_BATCH_DESCS || budget == 0) {
            qemu_bh_schedule(c->bh);
            return;
        }
        if (c->reset_latched && !c->have_desc) {
            ioat_chan_reset(c);
            return;
        }
        if (!c->have_desc &&
            (ioat_chan_unaffiliated(c) || !ioat_chan_fetch(c))) {
            return;
        }
        if (c->fault == IOAT_FAULT_HANG) {
            c->wedged = true;   /* on this descriptor until the fault clears */
            return;
        }
        if (c->deadline &&
            c->deadline > qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL)) {
            timer_mod(c->timer, c->deadline);
            return;
        }
        switch (ioat_chan_execute(c, &budget)) {
        case IOAT_EXEC_ERROR:
            return;
        case IOAT_EXEC_PARTIAL:
            continue;
        case IOAT_EXEC_DONE:
            ioat_chan_complete(c);
            descs++;
            break;
        }
    }
    /* A reset latched while wedged waits for the running descriptor. */
    if (c->reset_latched && !c->have_desc && !c->wedged) {
        ioat_chan_reset(c);
    }
}

static void ioat_chan_bh(void *opaque)
{
    ioat_chan_run(opaque);
}

/*
 * The throttle timer only hands over to the bottom half: that one runs under
 * the device's reentrancy guard, so a descriptor aimed at our own BAR cannot
 * re-enter the MMIO handlers in the middle of ioat_chan_run().
 */
static void ioat_chan_timer(void *opaque)
{
    IoatChan *c = opaque;

    qemu_bh_schedule(c->bh);
}

/* ---- Channel commands ---- */

/*
 * CHANCMD.RESET completes instantly (bit 5 never reads back as 1).
 * CHANCTRL and the arming survive it (spec §6.2): 6.1's watchdog reboot
 * resets and restarts without rewriting CHANCTRL, and only the tasklet,
 * which needs an interrupt, would rewrite it.
 */
static void ioat_chan_reset(IoatChan *c)
{
    IoatState *s = c->s;

    trace_ioat_chan_reset(c->idx);
    ioat_chan_drop_inflight(c);
    qemu_bh_cancel(c->bh);
    ioat_chan_set_state(c, CHAN_HALTED);
    c->hw_count = 0;
    c->dmacount = 0;
    c->chainaddr = 0;
    c->cur = 0;
    c->last_done = 0;
    c->chain_start = true;
    c->chanerr = 0;
    c->sts_flags = 0;
    c->reset_latched = false;
    c->int_pending = false;
    c->chansts_latched = false;
    s->attnstatus &= ~(1u << c->idx);
    ioat_update_intx(s);
}

/* Power-on state of a channel: reset plus everything RESET keeps. */
static void ioat_chan_power_on(IoatChan *c)
{
    ioat_chan_reset(c);
    c->chanctrl = 0;
    c->armed = false;
    c->chancmp = 0;
    c->chanerr_mask = 0;
    c->dcactrl = 0;
    c->drsctl = 0;
    c->ltr_swsel = 0;
    c->ltr_active = 0;
    c->ltr_idle = 0;
}

static void ioat_chan_command(IoatChan *c, uint8_t cmd)
{
    trace_ioat_chan_cmd(c->idx, cmd, c->state);
    if (c->wedged) {
        /*
         * A wedged engine obeys nothing: SUSPEND is lost, RESET stays pending
         * (CHANCMD bit 5 reads 1) until the fault is cleared.
         */
        if (cmd & CHANCMD_RESET) {
            c->reset_latched = true;
        }
        return;
    }
    if (cmd & CHANCMD_RESET) {
        ioat_chan_reset(c);
    } else if (cmd & CHANCMD_ABORT) {
        /* Unused by 6.1: abandon the chain but keep the error state. */
        ioat_chan_drop_inflight(c);
        ioat_chan_set_state(c, CHAN_HALTED);
    } else if (cmd & CHANCMD_SUSPEND) {
        /*
         * Must take effect even when stalled: 6.1's restart path quiesces
         * with no timeout (dma.c:703-718).  An unfinished descriptor is
         * dropped and fetched again on RESUME or restart.
         */
        if (c->state == CHAN_ACTIVE || c->state == CHAN_DONE ||
            c->state == CHAN_ARMED) {
            ioat_chan_drop_inflight(c);
            ioat_chan_set_state(c, CHAN_SUSPENDED);
        }
    } else if (cmd & CHANCMD_RESUME) {
        if (c->state == CHAN_SUSPENDED) {
            ioat_chan_set_state(c, c->hw_count != c->dmacount ? CHAN_ACTIVE
                                                              : CHAN_DONE);
            ioat_chan_kick(c);
        }
    }
    /* START and APPEND are v1 commands; CB3.x software does not use them. */
}

/*
 * A new chain restarts the descriptor counter and reports completion
 * address 0 until its first descriptor completes: 6.1 relies on that after
 * ioat_abort_descs (dma.c:602-608), a stale address would hit BUG_ON.
 */
static void ioat_chan_set_chain(IoatChan *c)
{
    trace_ioat_chan_chain(c->idx, c->chainaddr);
    ioat_chan_drop_inflight(c);
    c->cur = c->chainaddr;
    c->hw_count = 0;
    c->last_done = 0;
    c->chain_start = true;
    if (c->state != CHAN_ACTIVE) {
        ioat_chan_set_state(c, CHAN_ARMED);
    }
}

/*
 * The doorbell turns the channel ACTIVE synchronously: 6.1 polls CHANSTS
 * only 21 times, 1 us apart, after starting a channel (init.c:735-738).
 * The descriptors themselves run later in the bottom half.
 */
static void ioat_chan_doorbell(IoatChan *c)
{
    trace_ioat_chan_doorbell(c->idx, c->dmacount, c->hw_count, c->state);
    if ((c->state == CHAN_ARMED || c->state == CHAN_DONE ||
         c->state == CHAN_ACTIVE) && c->dmacount != c->hw_count) {
        ioat_chan_set_state(c, CHAN_ACTIVE);
        ioat_chan_kick(c);
    }
}

/* ---- Register decoding ---- */

typedef enum IoatRegId {
    /* device */
    R_CHANCNT, R_XFERCAP, R_GENCTRL, R_INTRCTRL, R_ATTNSTATUS, R_CBVER,
    R_PERPORTOFFSET, R_INTRDELAY, R_CS_STATUS, R_DMACAP, R_DCAOFFSET,
    R_PREFETCH_LIMIT,
    /* channel */
    R_CHANCTRL, R_DMA_COMP, R_CHANCMD, R_DMACOUNT, R_CHANSTS, R_CHAINADDR,
    R_CHANCMP, R_CDAR, R_CHANERR, R_CHANERR_MASK, R_DCACTRL,
    /* channel, v3.4, beyond the 0x80 stride (spec §3) */
    R_DRSCTL, R_LTR_SWSEL, R_LTR_ACTIVE, R_LTR_IDLE,
} IoatRegId;

typedef struct IoatRegDef {
    uint8_t off;
    uint8_t size;
    IoatRegId id;
} IoatRegDef;

static const IoatRegDef ioat_dev_regs[] = {
    { 0x00, 1, R_CHANCNT }, { 0x01, 1, R_XFERCAP }, { 0x02, 1, R_GENCTRL },
    { 0x03, 1, R_INTRCTRL }, { 0x04, 4, R_ATTNSTATUS }, { 0x08, 1, R_CBVER },
    { 0x0a, 2, R_PERPORTOFFSET }, { 0x0c, 2, R_INTRDELAY },
    { 0x0e, 2, R_CS_STATUS }, { 0x10, 4, R_DMACAP }, { 0x14, 2, R_DCAOFFSET },
    { 0x4c, 1, R_PREFETCH_LIMIT },
};

static const IoatRegDef ioat_chan_regs[] = {
    { 0x00, 2, R_CHANCTRL }, { 0x02, 2, R_DMA_COMP }, { 0x04, 1, R_CHANCMD },
    { 0x06, 2, R_DMACOUNT }, { 0x08, 8, R_CHANSTS }, { 0x10, 8, R_CHAINADDR },
    { 0x18, 8, R_CHANCMP }, { 0x20, 8, R_CDAR }, { 0x28, 4, R_CHANERR },
    { 0x2c, 4, R_CHANERR_MASK }, { 0x30, 4, R_DCACTRL },
    { 0xb6, 2, R_DRSCTL }, { 0xbc, 1, R_LTR_SWSEL }, { 0xc0, 4, R_LTR_ACTIVE },
    { 0xc4, 4, R_LTR_IDLE },
};

typedef struct IoatRegRef {
    IoatRegId id;
    IoatChan *chan;     /* NULL for device registers */
    hwaddr base;        /* BAR offset of the register's first byte */
    unsigned size;
} IoatRegRef;

static bool ioat_find_reg(const IoatRegDef *defs, size_t n, hwaddr rel,
                          hwaddr chan_base, IoatChan *chan, IoatRegRef *r)
{
    for (size_t i = 0; i < n; i++) {
        if (rel >= defs[i].off && rel < defs[i].off + defs[i].size) {
            r->id = defs[i].id;
            r->chan = chan;
            r->base = chan_base + defs[i].off;
            r->size = defs[i].size;
            return true;
        }
    }
    return false;
}

/* Which register holds the byte at BAR offset @addr? */
static bool ioat_decode(IoatState *s, hwaddr addr, IoatRegRef *r)
{
    hwaddr window = addr / IOAT_CHAN_STRIDE;
    size_t nplain = ARRAY_SIZE(ioat_chan_regs) - 4;

    if (window == 0) {
        return ioat_find_reg(ioat_dev_regs, ARRAY_SIZE(ioat_dev_regs), addr,
                             0, NULL, r);
    }
    if (window - 1 < s->channels) {
        hwaddr base = window * IOAT_CHAN_STRIDE;

        if (ioat_find_reg(ioat_chan_regs, nplain, addr - base, base,
                          &s->chan[window - 1], r)) {
            return true;
        }
    }
    /*
     * DRSCTL/LTR of channel i sit at +0xb6..+0xc7, inside the next
     * channel's window at offsets its own registers do not use.
     */
    if (s->cbver >= 0x34 && window >= 2 && window - 2 < s->channels) {
        hwaddr base = (window - 1) * IOAT_CHAN_STRIDE;

        return ioat_find_reg(ioat_chan_regs + nplain, 4, addr - base, base,
                             &s->chan[window - 2], r);
    }
    return false;
}

static uint8_t ioat_intrctrl(IoatState *s)
{
    uint8_t v = s->intrctrl;

    if (s->attnstatus) {
        v |= INTRCTRL_INT_STATUS;
        if (v & INTRCTRL_MASTER_INT_EN) {
            v |= INTRCTRL_INT;
        }
    }
    return v;
}

static uint32_t ioat_dmacap(IoatState *s)
{
    return DMACAP_FILL_BLOCK;
}

/*
 * Value of a register for a read of its bytes [off, off + len).  Reads with
 * side effects use the byte range: ATTNSTATUS clears what was read, and a
 * 32-bit read of CHANSTS's low half latches the high half for drivers that
 * read it in two halves.
 */
static uint64_t ioat_reg_read(IoatState *s, const IoatRegRef *r,
                              unsigned off, unsigned len)
{
    IoatChan *c = r->chan;
    uint64_t v;

    switch (r->id) {
    case R_CHANCNT:
        return s->channels;
    case R_XFERCAP:
        return s->xfercap;
    case R_GENCTRL:
        return s->genctrl;
    case R_INTRCTRL:
        return ioat_intrctrl(s);
    case R_ATTNSTATUS:
        v = s->attnstatus;
        s->attnstatus &= ~MAKE_64BIT_MASK(off * 8, len * 8);
        ioat_update_intx(s);
        return v;
    case R_CBVER:
        return s->cbver;
    case R_INTRDELAY:
        return s->intrdelay;
    case R_DMACAP:
        return ioat_dmacap(s);
    case R_PREFETCH_LIMIT:
        return s->prefetch_limit;
    case R_PERPORTOFFSET:
    case R_CS_STATUS:
    case R_DCAOFFSET:       /* 0: no DCA (spec §6.3) */
    case R_DMA_COMP:
        return 0;
    case R_CHANCMD:         /* RESET completes at once, unless hung */
        return c->reset_latched ? CHANCMD_RESET : 0;
    case R_CHANCTRL:
        return c->chanctrl;
    case R_DMACOUNT:
        return c->dmacount;
    case R_CHANSTS:
        v = ioat_chansts(c);
        if (off == 0 && len == 4) {
            c->chansts_hi_latch = v >> 32;
            c->chansts_latched = true;
        } else if (off == 4 && len == 4 && c->chansts_latched) {
            v = deposit64(v, 32, 32, c->chansts_hi_latch);
            c->chansts_latched = false;
        }
        return v;
    case R_CHAINADDR:
        return c->chainaddr;
    case R_CHANCMP:
        return c->chancmp;
    case R_CDAR:
        return c->cur;
    case R_CHANERR:
        return c->chanerr;
    case R_CHANERR_MASK:
        return c->chanerr_mask;
    case R_DCACTRL:
        return c->dcactrl;
    case R_DRSCTL:
        return c->drsctl;
    case R_LTR_SWSEL:
        return c->ltr_swsel;
    case R_LTR_ACTIVE:
        return c->ltr_active;
    case R_LTR_IDLE:
        return c->ltr_idle;
    }
    return 0;
}

#define MERGE(old, v, mask) (((old) & ~(mask)) | ((v) & (mask)))

/* @v and @mask are aligned to the register's first byte. */
static void ioat_reg_write(IoatState *s, const IoatRegRef *r, uint64_t v,
                           uint64_t mask)
{
    IoatChan *c = r->chan;

    switch (r->id) {
    case R_GENCTRL:
        s->genctrl = MERGE(s->genctrl, v, mask) & 0x01;
        break;
    case R_INTRCTRL:
        s->intrctrl = MERGE(s->intrctrl, v, mask) &
                      (INTRCTRL_MASTER_INT_EN | INTRCTRL_MSIX_VECCTRL);
        ioat_update_intx(s);
        ioat_retry_interrupts(s);
        break;
    case R_INTRDELAY:
        s->intrdelay = MERGE(s->intrdelay, v, mask) & INTRDELAY_MASK;
        break;
    case R_PREFETCH_LIMIT:
        s->prefetch_limit = MERGE(s->prefetch_limit, v, mask);
        break;
    case R_CHANCTRL:
        c->chanctrl = MERGE(c->chanctrl, v, mask);
        if (v & mask & CHANCTRL_INT_REARM) {
            c->armed = true;
            ioat_chan_try_interrupt(c);
        }
        break;
    case R_CHANCMD:
        ioat_chan_command(c, v & mask);
        break;
    case R_DMACOUNT:
        c->dmacount = MERGE(c->dmacount, v, mask);
        ioat_chan_doorbell(c);
        break;
    case R_CHAINADDR:
        /* 6.1 writes the halves low then high; each restarts the chain. */
        c->chainaddr = MERGE(c->chainaddr, v, mask);
        ioat_chan_set_chain(c);
        break;
    case R_CHANCMP:
        c->chancmp = MERGE(c->chancmp, v, mask);
        break;
    case R_CHANERR:
        c->chanerr &= ~(v & mask);
        if (!(c->chanerr & CHANERR_UNAFFILIATED)) {
            c->sts_flags &= ~CHANSTS_UNAFFILIATED_ERR;
        }
        break;
    case R_CHANERR_MASK:
        c->chanerr_mask = MERGE(c->chanerr_mask, v, mask);
        break;
    case R_DCACTRL:
        c->dcactrl = MERGE(c->dcactrl, v, mask);
        break;
    case R_DRSCTL:
        c->drsctl = MERGE(c->drsctl, v, mask);
        break;
    case R_LTR_SWSEL:
        c->ltr_swsel = MERGE(c->ltr_swsel, v, mask);
        break;
    case R_LTR_ACTIVE:
        c->ltr_active = MERGE(c->ltr_active, v, mask);
        break;
    case R_LTR_IDLE:
        c->ltr_idle = MERGE(c->ltr_idle, v, mask);
        break;
    default:
        /* Read-only: CHANCNT, XFERCAP, ATTNSTATUS, CBVER, CHANSTS, ... */
        break;
    }
}

/*
 * Accesses of any width (1/2/4/8) and alignment are split at register
 * boundaries; bytes that belong to no register read 0 and ignore writes.
 */
static uint64_t ioat_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IoatState *s = opaque;
    uint64_t val = 0;
    hwaddr a = addr, end = addr + size;

    while (a < end) {
        IoatRegRef r;
        unsigned off, len;

        if (!ioat_decode(s, a, &r)) {
            a++;
            continue;
        }
        off = a - r.base;
        len = MIN(end, r.base + r.size) - a;
        val |= extract64(ioat_reg_read(s, &r, off, len), off * 8, len * 8)
               << ((a - addr) * 8);
        a += len;
    }
    trace_ioat_mmio_read(addr, size, val);
    return val;
}

static void ioat_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    IoatState *s = opaque;
    hwaddr a = addr, end = addr + size;

    trace_ioat_mmio_write(addr, size, val);
    while (a < end) {
        IoatRegRef r;
        unsigned off, len;

        if (!ioat_decode(s, a, &r)) {
            a++;
            continue;
        }
        off = a - r.base;
        len = MIN(end, r.base + r.size) - a;
        ioat_reg_write(s, &r,
                       extract64(val, (a - addr) * 8, len * 8) << (off * 8),
                       MAKE_64BIT_MASK(off * 8, len * 8));
        a += len;
    }
}

static const MemoryRegionOps ioat_mmio_ops = {
    .read = ioat_mmio_read,
    .write = ioat_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

/* fault=dead: the whole BAR, MSI-X included, behaves like a removed card. */
static uint64_t ioat_dead_read(void *opaque, hwaddr addr, unsigned size)
{
    trace_ioat_mmio_dead(addr, size, 0);
    return MAKE_64BIT_MASK(0, size * 8);
}

static void ioat_dead_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    trace_ioat_mmio_dead(addr, size, 1);
}

static const MemoryRegionOps ioat_dead_ops = {
    .read = ioat_dead_read,
    .write = ioat_dead_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

/* ---- Config space ---- */

/* A dead card answers no config cycle either: all ones, writes dropped. */
static uint32_t ioat_config_read(PCIDevice *pdev, uint32_t addr, int len)
{
    IoatState *s = HOTDMA_IOAT(pdev);

    if (s->dead) {
        return MAKE_64BIT_MASK(0, len * 8);
    }
    return pci_default_read_config(pdev, addr, len);
}

static void ioat_config_write(PCIDevice *pdev, uint32_t addr, uint32_t val,
                              int len)
{
    IoatState *s = HOTDMA_IOAT(pdev);

    if (s->dead) {
        return;
    }
    pci_default_write_config(pdev, addr, val, len);
    /* MSI/MSI-X enable changes which interrupt path is live. */
    ioat_update_intx(s);
    ioat_retry_interrupts(s);
}

/* ---- Run-time properties ---- */

static void ioat_set_dead(IoatState *s, bool dead)
{
    s->dead = dead;
    if (DEVICE(s)->realized) {
        memory_region_set_enabled(&s->dead_mr, dead);
        ioat_update_intx(s);
    }
}

static char *ioat_get_fault(Object *obj, Error **errp)
{
    IoatState *s = HOTDMA_IOAT(obj);

    if (s->dead) {
        return g_strdup(ioat_fault_names[IOAT_FAULT_DEAD]);
    }
    for (unsigned i = 0; i < IOAT_MAX_CHANNELS; i++) {
        if ((s->fault_channel < 0 || s->fault_channel == i) &&
            s->chan[i].fault != IOAT_FAULT_NONE) {
            return g_strdup(ioat_fault_names[s->chan[i].fault]);
        }
    }
    return g_strdup(ioat_fault_names[IOAT_FAULT_NONE]);
}

/*
 * The faults of the header comment, on the channels selected by
 * fault-channel; dead is device-wide.  none clears the selected channels and
 * dead, and resumes the engines; a channel reset then brings back normal
 * service.
 */
static void ioat_set_fault(Object *obj, const char *value, Error **errp)
{
    IoatState *s = HOTDMA_IOAT(obj);
    IoatFault f;

    for (f = 0; f < IOAT_FAULT__MAX; f++) {
        if (!strcmp(value, ioat_fault_names[f])) {
            break;
        }
    }
    if (f == IOAT_FAULT__MAX) {
        error_setg(errp, "intel-ioat: fault must be none, read-error, "
                   "write-error, completion-error, descriptor-error, stall, "
                   "hang, unaffiliated or dead, not '%s'", value);
        return;
    }
    trace_ioat_fault_set(value, s->fault_channel);
    if (f == IOAT_FAULT_DEAD) {
        ioat_set_dead(s, true);
        return;
    }
    if (f == IOAT_FAULT_NONE) {
        ioat_set_dead(s, false);
    }
    for (unsigned i = 0; i < IOAT_MAX_CHANNELS; i++) {
        if (s->fault_channel < 0 || s->fault_channel == i) {
            s->chan[i].fault = f;
        }
    }
    if (f == IOAT_FAULT_NONE && DEVICE(s)->realized) {
        for (unsigned i = 0; i < s->channels; i++) {
            IoatChan *c = &s->chan[i];

            c->wedged = false;
            /* A latched reset runs after the wedged descriptor, if any. */
            if (c->reset_latched && !ioat_chan_runnable(c)) {
                ioat_chan_reset(c);
            }
            ioat_chan_kick(c);
            ioat_chan_try_interrupt(c);
        }
    }
}

static void ioat_get_fault_channel(Object *obj, Visitor *v, const char *name,
                                   void *opaque, Error **errp)
{
    IoatState *s = HOTDMA_IOAT(obj);

    visit_type_int64(v, name, &s->fault_channel, errp);
}

static void ioat_set_fault_channel(Object *obj, Visitor *v, const char *name,
                                   void *opaque, Error **errp)
{
    IoatState *s = HOTDMA_IOAT(obj);
    int64_t value;

    if (!visit_type_int64(v, name, &value, errp)) {
        return;
    }
    if (value < -1 || value >= IOAT_MAX_CHANNELS) {
        error_setg(errp, "intel-ioat: fault-channel must be -1 (all) or "
                   "0..%d", IOAT_MAX_CHANNELS - 1);
        return;
    }
    s->fault_channel = value;
}

/* bandwidth and latency: @opaque is the field's offset in IoatState. */
static void ioat_get_u64(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    uint64_t *field = (uint64_t *)((char *)obj + (uintptr_t)opaque);

    visit_type_uint64(v, name, field, errp);
}

static void ioat_set_u64(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    uint64_t *field = (uint64_t *)((char *)obj + (uintptr_t)opaque);
    uint64_t value;

    if (visit_type_uint64(v, name, &value, errp)) {
        /* Applies from the next descriptor fetched. */
        *field = value;
    }
}

/* ---- Lifecycle ---- */

static void ioat_reset(DeviceState *dev)
{
    IoatState *s = HOTDMA_IOAT(dev);
    PCIDevice *pdev = PCI_DEVICE(s);

    s->genctrl = 0;
    s->intrctrl = 0;
    s->attnstatus = 0;
    s->intrdelay = 0;
    s->prefetch_limit = 0;
    s->bw_free_at = 0;
    for (unsigned i = 0; i < s->channels; i++) {
        ioat_chan_power_on(&s->chan[i]);
    }
    pci_set_long(pdev->config + IOAT_CFG_DMAUNCERRSTS, 0);
    pci_set_long(pdev->config + IOAT_CFG_CHANERR_INT, 0);
    pci_set_long(pdev->config + IOAT_CFG_CHANERRMSK_INT, 0);
    ioat_update_intx(s);
}

static void ioat_instance_init(Object *obj)
{
    IoatState *s = HOTDMA_IOAT(obj);

    s->fault_channel = -1;
}

static void ioat_free_channels(IoatState *s)
{
    for (unsigned i = 0; i < IOAT_MAX_CHANNELS; i++) {
        IoatChan *c = &s->chan[i];

        if (c->bh) {
            qemu_bh_delete(c->bh);
            c->bh = NULL;
        }
        if (c->timer) {
            timer_free(c->timer);
            c->timer = NULL;
        }
    }
}

static void ioat_realize(PCIDevice *pdev, Error **errp)
{
    IoatState *s = HOTDMA_IOAT(pdev);
    uint8_t *cfg = pdev->config;
    int ret;

    if (s->channels < 1 || s->channels > IOAT_MAX_CHANNELS) {
        error_setg(errp, "intel-ioat: channels must be 1..%d, not %u",
                   IOAT_MAX_CHANNELS, s->channels);
        return;
    }
    /*
     * XFERCAP 0 makes 6.1 probe an empty channel list and crash
     * (init.c:561-571); above 30, 1 << xfercap overflows its int.
     */
    if (s->xfercap < 1 || s->xfercap > 30) {
        error_setg(errp, "intel-ioat: xfercap must be 1..30 (log2 of the "
                   "largest descriptor in bytes), not %u", s->xfercap);
        return;
    }
    if (s->cbver == 0) {
        s->cbver = s->device_id == 0x0b00 ? 0x34 : 0x32;
    }

    pci_config_set_device_id(cfg, s->device_id);
    pci_config_set_interrupt_pin(cfg, 1);
    /*
     * 6.1 reads and writes back 0x180 in every channel reset (VER < 3.3).
     * Device-specific config space is plain RW by default; make the two
     * status registers write-1-to-clear instead.
     */
    pci_set_long(pdev->wmask + IOAT_CFG_DMAUNCERRSTS, 0);
    pci_set_long(pdev->w1cmask + IOAT_CFG_DMAUNCERRSTS, 0xffffffff);
    pci_set_long(pdev->wmask + IOAT_CFG_CHANERR_INT, 0);
    pci_set_long(pdev->w1cmask + IOAT_CFG_CHANERR_INT, 0xffffffff);
    pci_set_long(pdev->wmask + IOAT_CFG_CHANERRMSK_INT, 0xffffffff);

    memory_region_init(&s->bar0, OBJECT(s), "ioat-bar0", IOAT_BAR_SIZE);
    memory_region_init_io(&s->regs, OBJECT(s), &ioat_mmio_ops, s, "ioat-regs",
                          IOAT_BAR_SIZE);
    /* Below MSI-X (priority 0), so it fills every hole of the BAR. */
    memory_region_add_subregion_overlap(&s->bar0, 0, &s->regs, -1);
    memory_region_init_io(&s->dead_mr, OBJECT(s), &ioat_dead_ops, s,
                          "ioat-dead", IOAT_BAR_SIZE);
    memory_region_add_subregion_overlap(&s->bar0, 0, &s->dead_mr, 1);
    memory_region_set_enabled(&s->dead_mr, s->dead);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->bar0);

    if (pcie_endpoint_cap_init(pdev, IOAT_CAP_EXP) < 0) {
        error_setg(errp, "intel-ioat: cannot add the PCIe capability");
        return;
    }
    ret = msi_init(pdev, IOAT_CAP_MSI, 1, true, false, errp);
    if (ret) {
        goto err_pcie;
    }
    ret = msix_init(pdev, s->channels, &s->bar0, 0, IOAT_MSIX_TABLE_OFFSET,
                    &s->bar0, 0, IOAT_MSIX_PBA_OFFSET, IOAT_CAP_MSIX, errp);
    if (ret) {
        goto err_msi;
    }
    for (unsigned i = 0; i < s->channels; i++) {
        msix_vector_use(pdev, i);
    }

    s->buf = g_malloc(IOAT_CHUNK);
    for (unsigned i = 0; i < IOAT_MAX_CHANNELS; i++) {
        IoatChan *c = &s->chan[i];

        c->s = s;
        c->idx = i;
        if (i < s->channels) {
            c->bh = qemu_bh_new_guarded(ioat_chan_bh, c,
                                        &DEVICE(s)->mem_reentrancy_guard);
            c->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, ioat_chan_timer, c);
        }
    }
    return;

err_msi:
    msi_uninit(pdev);
err_pcie:
    pcie_cap_exit(pdev);
}

/*
 * Unplug: no descriptor may run, and no guest memory may be touched, once
 * the device is gone, so the bottom halves and timers go first; work in
 * flight is dropped.
 */
static void ioat_exit(PCIDevice *pdev)
{
    IoatState *s = HOTDMA_IOAT(pdev);

    ioat_free_channels(s);
    msix_unuse_all_vectors(pdev);
    msix_uninit(pdev, &s->bar0, &s->bar0);
    msi_uninit(pdev);
    pcie_cap_exit(pdev);
    g_free(s->buf);
    s->buf = NULL;
}

static Property ioat_properties[] = {
    DEFINE_PROP_UINT8("channels", IoatState, channels, IOAT_MAX_CHANNELS),
    DEFINE_PROP_UINT8("xfercap", IoatState, xfercap, 20),
    DEFINE_PROP_UINT16("device-id", IoatState, device_id, 0x2021),
    DEFINE_PROP_UINT8("cbver", IoatState, cbver, 0),
    DEFINE_PROP_END_OF_LIST(),
};

static const VMStateDescription ioat_vmstate = {
    .name = TYPE_HOTDMA_IOAT,
    .unmigratable = 1,
};

static void ioat_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ioat_realize;
    k->exit = ioat_exit;
    k->config_read = ioat_config_read;
    k->config_write = ioat_config_write;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = 0x2021;
    k->class_id = 0x0880;   /* system peripheral, other */
    dc->desc = "Intel I/OAT CB3.x DMA engine (hotdma model)";
    dc->reset = ioat_reset;
    dc->vmsd = &ioat_vmstate;
    device_class_set_props(dc, ioat_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);

    /* Plain QOM properties, unlike qdev ones, stay settable after realize. */
    object_class_property_add(klass, "bandwidth", "uint64", ioat_get_u64,
                              ioat_set_u64, NULL,
                              (void *)offsetof(IoatState, bandwidth));
    object_class_property_set_description(klass, "bandwidth",
        "engine bandwidth in bytes/s shared by all channels, 0 = unthrottled");
    object_class_property_add(klass, "latency", "uint64", ioat_get_u64,
                              ioat_set_u64, NULL,
                              (void *)offsetof(IoatState, latency));
    object_class_property_set_description(klass, "latency",
        "extra completion latency per descriptor in ns, 0 = none");
    object_class_property_add_str(klass, "fault", ioat_get_fault,
                                  ioat_set_fault);
    object_class_property_set_description(klass, "fault",
        "inject a fault: none, read-error, write-error, completion-error, "
        "stall, hang, unaffiliated, dead");
    object_class_property_add(klass, "fault-channel", "int",
                              ioat_get_fault_channel, ioat_set_fault_channel,
                              NULL, NULL);
    object_class_property_set_description(klass, "fault-channel",
        "channel the next fault applies to, -1 = all");
}

static const TypeInfo ioat_info = {
    .name = TYPE_HOTDMA_IOAT,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IoatState),
    .instance_init = ioat_instance_init,
    .class_init = ioat_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { },
    },
};

static void ioat_register_types(void)
{
    type_register_static(&ioat_info);
}

type_init(ioat_register_types)
