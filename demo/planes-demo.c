// SPDX-License-Identifier: GPL-2.0
/*
 * planes-demo: a two-plane guest in the style of Hyper-V VTLs, run by a
 * small VMM written with plain ioctls, as a reference for VMM authors.
 *
 * The guest is one vCPU with two planes, 32-bit protected mode, flat
 * segments, no paging. Plane 0 plays "VTL0" (the normal OS), plane 1 plays
 * "VTL1" (a more privileged service). All planes share guest memory; each
 * has its own registers, segment/IDT state and local APIC.
 *
 * Setup (order matters):
 *   KVM_CREATE_VM, KVM_CHECK_EXTENSION(KVM_CAP_PLANES) >= 2 (else: SKIP)
 *   KVM_CREATE_IRQCHIP            in-kernel LAPIC, before the first plane
 *   KVM_SET_USER_MEMORY_REGION    one slot, shared by every plane
 *   KVM_CREATE_VCPU(0)            the plane-0 vCPU; mmap it: the kvm_run page
 *   KVM_CREATE_PLANE(1)           on the VM fd -> plane fd
 *   KVM_CREATE_VCPU_PLANE(vcpu)   on the plane fd -> plane-1 vCPU fd
 *   KVM_SET_SREGS/REGS on each vCPU fd, KVM_SET_MP_STATE and KVM_SET_LAPIC
 *   (software-enable the APIC) on the plane-1 vCPU fd.
 *
 * The plane-1 vCPU fd only holds state: it has no kvm_run page and no
 * KVM_RUN. Every plane runs through KVM_RUN on the plane-0 vCPU fd:
 * run->plane selects the plane to run and, on return, says which plane
 * exited. Userspace is the scheduler here (no in-kernel VTL switching):
 *
 *   plane 0: out VTL_CALL     -> VMM: entry reason "call", run->plane = 1
 *   plane 1: out VTL_RETURN   -> VMM: run->plane = 0
 *   plane 0: out RESULT       -> VMM checks the answer (three calls)
 *   plane 0: out READY        -> VMM: run->req_exit_planes = 1 << 1, and
 *                                starts the "interrupt controller" thread
 *   KVM_RUN, still plane 0:      plane 0 spins (counting in the mailbox) on
 *                                a word only plane 1's interrupt handler
 *                                changes: it never exits on its own. The
 *                                other thread waits until it sees plane 0
 *                                spin inside this KVM_RUN, then sends
 *                                KVM_SIGNAL_MSI on the plane fd (vector
 *                                0x40): KVM must kick the running vCPU.
 *                             -> KVM_EXIT_PLANE_EVENT, cause INTERRUPT,
 *                                target 1 << 1: VMM: entry reason
 *                                "interrupt", run->plane = 1
 *   plane 1: its IDT handler runs, writes EOI, out IRQ_DONE; then
 *            out VTL_RETURN   -> VMM: run->plane = 0
 *   plane 0: sees the handler's count, out DONE -> VMM prints the summary
 *
 * Both planes are one CPU: plane 1's local APIC has plane 0's APIC id
 * (KVM_GET_LAPIC on each vCPU fd; the demo checks it).
 *
 * The "entry reason" is a mailbox word the VMM writes before it switches
 * to plane 1, like the VTL entry reason of Hyper-V's VP assist page. Data
 * goes through the mailbox only, never through registers, so the guest
 * works whether the planes share general-purpose registers or not.
 *
 * Guest memory, 64 KiB at 0: GDT 0x1000, IDTs 0x2000 (VTL0) and 0x2800
 * (VTL1), mailbox 0x3000, VTL0 code 0x4000 (stack below 0x6000), VTL1 code
 * 0x7000 and its interrupt handler 0x7100 (stack below 0x9000). Ports and
 * vector: PORT_* and VTL1_VECTOR below.
 *
 * A KVM_RUN that makes no exit within 5 s fails the demo ("KVM_RUN
 * stalled"); if plane 0 has not even executed its first instruction, it
 * says "guest stalled": the known TCG flake (README) that make check and
 * make demo boot again for.
 *
 * Exit status: 0 PASS, 1 FAIL (the guest or KVM did not behave as above),
 * 2 an ioctl failed, 4 this kernel has no planes (kselftest's SKIP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef KVM_CAP_PLANES
#define KVM_CAP_PLANES 239
#endif

#define EXIT_PASS		0
#define EXIT_FAIL		1
#define EXIT_VMM_ERROR		2
#define EXIT_NO_PLANES		4	/* KSFT_SKIP */

#define RUN_WATCHDOG_SECS	5

static int failures;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void expect(bool ok, const char *what)
{
	say("  [%s] %s\n", ok ? " ok " : "FAIL", what);
	if (!ok)
		failures++;
}

static void die_errno(const char *what)
{
	int err = errno;
	const char *name = strerrorname_np(err);

	say("%s: %s (%s)\n", what, name ? name : "?", strerror(err));
	say("FAIL: %s failed\n", what);
	exit(EXIT_VMM_ERROR);
}

static int do_ioctl(int fd, unsigned long req, unsigned long arg, const char *name)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		die_errno(name);
	return r;
}

/* ioctl() that must succeed; a failure names the ioctl and the errno. */
#define xioctl(fd, req, arg) do_ioctl(fd, req, (unsigned long)(arg), #req)

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Everything up to the #else needs the planes uapi (run->plane,
 * run->req_exit_planes, run->plane_event, KVM_CREATE_PLANE...). Built
 * against older headers the demo still reports KVM_CAP_PLANES, and skips.
 */
#ifdef KVM_EXIT_PLANE_EVENT

/* Guest physical layout: 64 KiB of RAM at 0, every plane sees all of it. */
#define GUEST_MEM_SIZE	0x10000
#define GDT		0x1000	/* null, flat 32-bit code (0x08), flat data (0x10) */
#define VTL0_IDT	0x2000	/* 256 gates, all to STRAY */
#define VTL1_IDT	0x2800	/* 256 gates, STRAY except VTL1_VECTOR -> VTL1_ISR */
#define MBOX		0x3000	/* mailbox, six u32: */
#define MBOX_REASON	0x3000	/*   VTL1 entry reason, written by the VMM */
#define MBOX_REQUEST	0x3004	/*   VTL call argument, written by VTL0 */
#define MBOX_ANSWER	0x3008	/*   VTL call answer, written by VTL1 */
#define MBOX_IRQS	0x300c	/*   interrupts VTL1's handler ran */
#define MBOX_IRQS_SEEN	0x3010	/*   interrupts VTL1's main loop noticed */
#define MBOX_SPINS	0x3014	/*   VTL0's turns waiting for the interrupt */
#define STRAY		0x3800	/* handler for any unexpected vector */
#define VTL0_CODE	0x4000
#define VTL0_STACK	0x6000	/* initial ESP, grows down */
#define VTL1_CODE	0x7000
#define VTL1_ISR	0x7100
#define VTL1_STACK	0x9000

#define GDT_CODE	0x08
#define GDT_DATA	0x10

/* Ports: every "out" is a KVM_EXIT_IO the VMM acts on. */
#define PORT_VTL_CALL	0xe0	/* VTL0 -> VMM: switch to VTL1 */
#define PORT_VTL_RETURN	0xe1	/* VTL1 -> VMM: switch back to VTL0 */
#define PORT_RESULT	0xe2	/* VTL0: the answer it got */
#define PORT_READY	0xe3	/* VTL0: send VTL1 an interrupt now */
#define PORT_IRQ_DONE	0xe4	/* VTL1's handler: interrupt serviced */
#define PORT_DONE	0xe5	/* VTL0: finished */
#define PORT_STRAY	0xef	/* unexpected exception or interrupt */

#define VTL_ENTRY_CALL		1	/* HvVtlEntryVtlCall */
#define VTL_ENTRY_INTERRUPT	2	/* HvVtlEntryInterrupt */

#define NR_VTL_CALLS	3
#define SPINS_BEFORE_MSI 100	/* plane 0 visibly runs inside KVM_RUN */
#define VTL1_VECTOR	0x40
#define APIC_BASE	0xfee00000u
#define APIC_ID		0x20
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_SPIV	0xf0
#define APIC_EOI	0xb0
#define APIC_SPIV_ENABLE (1u << 8)
#define MSR_APICBASE_ENABLE (1u << 11)
#define X86_CR0_PE	1
#define MAX_EXITS	64

/* The service VTL1 offers; the VMM checks VTL0's results against it. */
static uint32_t vtl1_service(uint32_t request)
{
	return request * request + 1000;
}

/* A 32-bit little-endian immediate or address inside an instruction. */
#define LE32(x) ((x) & 0xff), (((x) >> 8) & 0xff), (((x) >> 16) & 0xff), (((x) >> 24) & 0xff)

/*
 * VTL0 at VTL0_CODE, IF=0: NR_VTL_CALLS calls, then wait for VTL1's
 * interrupt in a loop without exits, counting its turns in MBOX_SPINS.
 */
static const uint8_t vtl0_code[] = {
	0xbb, LE32(1),			/* 00       mov  $1, %ebx           request n = 1 */
	0x89, 0x1d, LE32(MBOX_REQUEST),	/* 05 call: mov  %ebx, MBOX_REQUEST */
	0x89, 0xd8,			/* 0b       mov  %ebx, %eax */
	0xe7, PORT_VTL_CALL,		/* 0d       out  %eax, $VTL_CALL    VTL1 runs here */
	0xa1, LE32(MBOX_ANSWER),	/* 0f       mov  MBOX_ANSWER, %eax */
	0xe7, PORT_RESULT,		/* 14       out  %eax, $RESULT      VMM checks it */
	0x43,				/* 16       inc  %ebx */
	0x83, 0xfb, NR_VTL_CALLS + 1,	/* 17       cmp  $NR_VTL_CALLS+1, %ebx */
	0x75, 0xe9,			/* 1a       jne  call */
	0xe7, PORT_READY,		/* 1c       out  %eax, $READY       VMM arms the MSI */
	0xff, 0x05, LE32(MBOX_SPINS),	/* 1e wait: incl MBOX_SPINS */
	0xa1, LE32(MBOX_IRQS),		/* 24       mov  MBOX_IRQS, %eax */
	0x85, 0xc0,			/* 29       test %eax, %eax */
	0x74, 0xf1,			/* 2b       jz   wait               till VTL1 took it */
	0xe7, PORT_DONE,		/* 2d       out  %eax, $DONE */
	0xeb, 0xfe,			/* 2f       jmp  .                  (the VMM stops) */
};

/*
 * VTL1 at VTL1_CODE: a loop that serves one entry and does a VTL return.
 * After the return it resumes at the next instruction when the VMM runs
 * plane 1 again, as after a hypercall. It keeps IF=1: an interrupt for
 * VTL1 is delivered as soon as plane 1 runs.
 */
static const uint8_t vtl1_code[] = {
	0xfb,				/* 00       sti                     VTL1 takes interrupts */
	0x83, 0x3d, LE32(MBOX_REASON),	/* 01 loop: cmpl $INTERRUPT, MBOX_REASON */
		VTL_ENTRY_INTERRUPT,
	0x74, 0x16,			/* 08       je   irq */
	0xa1, LE32(MBOX_REQUEST),	/* 0a       mov  MBOX_REQUEST, %eax  VTL call: */
	0x0f, 0xaf, 0xc0,		/* 0f       imul %eax, %eax            answer = */
	0x05, LE32(1000),		/* 12       add  $1000, %eax           n * n + 1000 */
	0xa3, LE32(MBOX_ANSWER),	/* 17       mov  %eax, MBOX_ANSWER */
	0xe7, PORT_VTL_RETURN,		/* 1c       out  %eax, $VTL_RETURN */
	0xeb, 0xe1,			/* 1e       jmp  loop */
	0xa1, LE32(MBOX_IRQS),		/* 20 irq:  mov  MBOX_IRQS, %eax     interrupt entry: */
	0x3b, 0x05, LE32(MBOX_IRQS_SEEN), /* 25     cmp  MBOX_IRQS_SEEN, %eax  spin until the */
	0x74, 0xf3,			/* 2b       je   irq                   handler has run */
	0xa3, LE32(MBOX_IRQS_SEEN),	/* 2d       mov  %eax, MBOX_IRQS_SEEN */
	0xe7, PORT_VTL_RETURN,		/* 32       out  %eax, $VTL_RETURN */
	0xeb, 0xcb,			/* 34       jmp  loop */
};

/* VTL1's handler for VTL1_VECTOR (32-bit interrupt gate), at VTL1_ISR. */
static const uint8_t vtl1_isr[] = {
	0x50,				/* 00       push %eax */
	0xff, 0x05, LE32(MBOX_IRQS),	/* 01       incl MBOX_IRQS */
	0xc7, 0x05, LE32(APIC_BASE + APIC_EOI), /* 07   movl $0, APIC EOI   (plane 1's APIC) */
		LE32(0),
	0xa1, LE32(MBOX_IRQS),		/* 11       mov  MBOX_IRQS, %eax */
	0xe7, PORT_IRQ_DONE,		/* 16       out  %eax, $IRQ_DONE */
	0x58,				/* 18       pop  %eax */
	0xcf,				/* 19       iret */
};

/* Every other vector of both IDTs, at STRAY. */
static const uint8_t stray_code[] = {
	0xe6, PORT_STRAY,		/* 00       out  %al, $STRAY */
	0xeb, 0xfe,			/* 02       jmp  . */
};

static const uint64_t gdt[] = {
	0,
	0x00cf9b000000ffffull,		/* 0x08: code, base 0, 4 GiB, 32-bit */
	0x00cf93000000ffffull,		/* 0x10: data, base 0, 4 GiB, 32-bit */
};

/* The thread that sends plane 1's MSI while plane 0 is inside KVM_RUN. */
struct msi_sender {
	pthread_t thread;
	bool started, joined;
	unsigned int run;		/* the KVM_RUN call it saw plane 0 spin in */
	uint32_t spins;			/* MBOX_SPINS when it sent the MSI */
	int r, err;			/* KVM_SIGNAL_MSI's result and errno */
	struct timespec sent;
};

struct demo {
	int vcpu, plane1, vcpu1;	/* fds */
	struct kvm_run *run;		/* of the plane-0 vCPU fd: shared by all planes */
	uint8_t *mem;
	uint32_t apic_id;		/* of plane 1's local APIC */
	bool armed;			/* req_exit_planes set, event not seen yet */
	const char *waiting;		/* what the guest waits for, if anything */
	unsigned int runs;		/* KVM_RUN calls so far (atomic) */
	bool in_run;			/* inside KVM_RUN now (atomic) */
	struct timespec returned;	/* when the last KVM_RUN returned */
	struct msi_sender msi;
	/* counters for the summary */
	unsigned int exits[2][64];
	unsigned int switches[2];	/* [0]: 0 -> 1, [1]: 1 -> 0 */
	unsigned int calls, served, msis, events, irqs;
	long kick_usecs;		/* from the MSI to KVM_RUN's return */
	uint32_t apic_id0, apic_id1;	/* plane 0's and plane 1's, KVM_GET_LAPIC */
};

#define GUEST_U32(d, gpa) (*(volatile uint32_t *)((d)->mem + (gpa)))

static void set_gate(uint8_t *mem, uint32_t idt, int vector, uint32_t handler)
{
	uint64_t gate = (handler & 0xffff) | ((uint64_t)GDT_CODE << 16) |
			(0x8e00ull << 32) |		/* present, DPL 0, 32-bit interrupt gate */
			((uint64_t)(handler >> 16) << 48);

	memcpy(mem + idt + vector * 8, &gate, sizeof(gate));
}

static void load_guest(uint8_t *mem)
{
	int v;

	memcpy(mem + GDT, gdt, sizeof(gdt));
	memcpy(mem + VTL0_CODE, vtl0_code, sizeof(vtl0_code));
	memcpy(mem + VTL1_CODE, vtl1_code, sizeof(vtl1_code));
	memcpy(mem + VTL1_ISR, vtl1_isr, sizeof(vtl1_isr));
	memcpy(mem + STRAY, stray_code, sizeof(stray_code));
	for (v = 0; v < 256; v++) {
		set_gate(mem, VTL0_IDT, v, STRAY);
		set_gate(mem, VTL1_IDT, v, v == VTL1_VECTOR ? VTL1_ISR : STRAY);
	}
}

/*
 * One plane's CPU state: flat 32-bit protected mode, its own IDT, code and
 * stack. apic_base 0 keeps the APIC base KVM gave this vCPU. Returns the
 * APIC base in effect.
 */
static uint64_t setup_cpu(int fd, uint32_t idt, uint32_t rip, uint32_t rsp,
			  uint64_t apic_base)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = GDT_CODE,
		.type = 0xb, .present = 1, .s = 1, .db = 1, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	data.selector = GDT_DATA;
	data.type = 0x3;
	xioctl(fd, KVM_GET_SREGS, &sregs);
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.gdt.base = GDT;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.idt.base = idt;
	sregs.idt.limit = 256 * 8 - 1;
	sregs.cr0 |= X86_CR0_PE;
	if (apic_base)
		sregs.apic_base = apic_base;
	xioctl(fd, KVM_SET_SREGS, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = 2;			/* IF=0; VTL1 does its own sti */
	xioctl(fd, KVM_SET_REGS, &regs);
	return sregs.apic_base;
}

static uint32_t lapic_reg(const struct kvm_lapic_state *lapic, int off)
{
	uint32_t v;

	memcpy(&v, lapic->regs + off, sizeof(v));
	return v;
}

static void lapic_set_reg(struct kvm_lapic_state *lapic, int off, uint32_t v)
{
	memcpy(lapic->regs + off, &v, sizeof(v));
}

static bool lapic_vector_bit(const struct kvm_lapic_state *lapic, int reg, int vector)
{
	return lapic_reg(lapic, reg + (vector / 32) * 0x10) & (1u << (vector % 32));
}

static long usecs_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L + (b->tv_nsec - a->tv_nsec) / 1000;
}

/*
 * KVM_RUN with a watchdog: a guest that makes no exit within a few seconds
 * is interrupted (SIGALRM without SA_RESTART makes KVM_RUN return EINTR),
 * and that is a failure: every KVM_RUN here must end with an exit. An
 * earlier real-mode version of this demo stalled at its first instruction
 * in about one boot in eight under QEMU's emulated SVM; that case alone
 * says "guest stalled", and the scripts boot once more when they see it.
 * The MSI thread blocks SIGALRM, so the signal reaches this thread.
 */
static void run_vcpu(struct demo *d)
{
	struct itimerval it = { .it_value.tv_sec = RUN_WATCHDOG_SECS };
	struct kvm_regs regs;
	unsigned int plane;
	int r;

	__atomic_add_fetch(&d->runs, 1, __ATOMIC_SEQ_CST);
	setitimer(ITIMER_REAL, &it, NULL);
	__atomic_store_n(&d->in_run, true, __ATOMIC_SEQ_CST);
	r = ioctl(d->vcpu, KVM_RUN, 0);
	__atomic_store_n(&d->in_run, false, __ATOMIC_SEQ_CST);
	clock_gettime(CLOCK_MONOTONIC, &d->returned);
	it.it_value.tv_sec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	if (r == 0)
		return;
	if (errno != EINTR)
		die_errno("KVM_RUN");
	plane = d->run->plane;
	xioctl(plane == 1 ? d->vcpu1 : d->vcpu, KVM_GET_REGS, &regs);
	if (d->runs == 1 && plane == 0 && regs.rip == VTL0_CODE) {
		say("FAIL: guest stalled: no exit for %d s, plane 0 RIP 0x%llx is still its"
		    " first instruction (the known TCG flake, see README)\n",
		    RUN_WATCHDOG_SECS, (unsigned long long)regs.rip);
	} else {
		say("FAIL: KVM_RUN stalled: no exit for %d s in KVM_RUN %u, plane %u RIP 0x%llx\n",
		    RUN_WATCHDOG_SECS, d->runs, plane, (unsigned long long)regs.rip);
		if (d->msi.started && !__atomic_load_n(&d->msi.run, __ATOMIC_SEQ_CST))
			say("  (the MSI thread has not sent the MSI: plane 0 spun %u times)\n",
			    GUEST_U32(d, MBOX_SPINS));
		else if (d->waiting)
			say("  (%s)\n", d->waiting);
	}
	exit(EXIT_FAIL);
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: return "KVM_EXIT_IO";
	case KVM_EXIT_PLANE_EVENT: return "KVM_EXIT_PLANE_EVENT";
	case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	default: return "other";
	}
}

static const char *cause_name(uint16_t cause)
{
	switch (cause) {
	case KVM_PLANE_EVENT_INTERRUPT: return "INTERRUPT";
	case KVM_PLANE_EVENT_SWITCH: return "SWITCH";
	case KVM_PLANE_EVENT_CREATE_VCPU: return "CREATE_VCPU";
	default: return "?";
	}
}

/* Switch to the other plane: the next KVM_RUN of the plane-0 fd runs it. */
static void switch_to(struct demo *d, unsigned int plane, uint32_t entry_reason)
{
	if (plane == 1)
		GUEST_U32(d, MBOX_REASON) = entry_reason;
	d->switches[plane == 1 ? 0 : 1]++;
	d->run->plane = plane;
}

/*
 * The "interrupt controller" of the VMM, in its own thread as a device
 * model would be: it waits until plane 0 spins inside KVM_RUN (the main
 * thread is in the ioctl and the guest's counter moves), then sends an MSI
 * to plane 1's APIC on the plane fd. KVM must kick the running vCPU out of
 * the guest for the plane event.
 */
static void *msi_thread(void *arg)
{
	struct demo *d = arg;
	struct kvm_msi msi = {
		.address_lo = APIC_BASE | (d->apic_id << 12),	/* physical dest */
		.data = VTL1_VECTOR,			/* fixed, edge */
	};
	unsigned int run;
	uint32_t spins;

	for (;;) {
		run = __atomic_load_n(&d->runs, __ATOMIC_SEQ_CST);
		spins = GUEST_U32(d, MBOX_SPINS);
		if (__atomic_load_n(&d->in_run, __ATOMIC_SEQ_CST) && spins >= SPINS_BEFORE_MSI)
			break;
		usleep(100);
	}
	d->msi.spins = spins;
	clock_gettime(CLOCK_MONOTONIC, &d->msi.sent);
	d->msi.r = ioctl(d->plane1, KVM_SIGNAL_MSI, &msi);
	d->msi.err = errno;
	__atomic_store_n(&d->msi.run, run, __ATOMIC_SEQ_CST);
	return NULL;
}

/* At READY: plane 1's bit in req_exit_planes, and the MSI thread started. */
static void arm_vtl1_interrupt(struct demo *d, char *action, size_t len)
{
	sigset_t alrm, old;
	int err;

	d->run->req_exit_planes = 1 << 1;	/* tell me about plane 1's interrupts */
	d->armed = true;
	d->waiting = "plane 1 has a pending interrupt and req_exit_planes is 0x2:"
		     " KVM_RUN should have returned KVM_EXIT_PLANE_EVENT";
	/* The thread inherits a mask with SIGALRM blocked: the watchdog is ours. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);
	err = pthread_create(&d->msi.thread, NULL, msi_thread, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		die_errno("pthread_create");
	}
	d->msi.started = true;
	snprintf(action, len, "req_exit_planes 0x2, MSI thread started");
}

/*
 * After the KVM_RUN during which the MSI thread sent the MSI: join it and
 * show what it did, as a timeline line of its own. The MSI must have been
 * sent during the KVM_RUN that just returned, and plane 1's APIC must have
 * taken it.
 */
static void report_msi_thread(struct demo *d)
{
	char detail[80], action[80];

	pthread_join(d->msi.thread, NULL);
	d->msi.joined = true;
	d->msis++;
	snprintf(detail, sizeof(detail), "plane 0 in KVM_RUN %u, spun %u times",
		 d->msi.run, d->msi.spins);
	if (d->msi.r == 1 && d->msi.run == d->runs) {
		snprintf(action, sizeof(action), "KVM_SIGNAL_MSI vector 0x%x to plane 1: %d",
			 VTL1_VECTOR, d->msi.r);
	} else if (d->msi.r != 1) {
		snprintf(action, sizeof(action),
			 "FAIL: plane 1's APIC did not take the MSI (%d)",
			 d->msi.r < 0 ? -d->msi.err : d->msi.r);
		failures++;
	} else {
		snprintf(action, sizeof(action), "FAIL: sent during KVM_RUN %u, not %u",
			 d->msi.run, d->runs);
		failures++;
	}
	say("  %3s  %5s  %-20s  %-40s  %s\n", "", "", "(MSI thread)", detail, action);
}

/* One KVM_EXIT_IO "out": returns true when the demo is over. */
static bool handle_out(struct demo *d, unsigned int plane, uint32_t value,
		       char *detail, char *action, size_t len)
{
	uint16_t port = d->run->io.port;
	uint32_t request;

	switch (plane << 8 | port) {
	case 0 << 8 | PORT_VTL_CALL:
		d->calls++;
		snprintf(detail, len, "out 0x%x VTL call, eax=%u", port, value);
		snprintf(action, len, "switch to plane 1 (entry: call)");
		switch_to(d, 1, VTL_ENTRY_CALL);
		return false;
	case 1 << 8 | PORT_VTL_RETURN:
		snprintf(detail, len, "out 0x%x VTL return, eax=%u", port, value);
		snprintf(action, len, "switch to plane 0");
		switch_to(d, 0, 0);
		return false;
	case 0 << 8 | PORT_RESULT:
		request = GUEST_U32(d, MBOX_REQUEST);
		snprintf(detail, len, "out 0x%x result, eax=%u", port, value);
		if (value == vtl1_service(request)) {
			d->served++;
			snprintf(action, len, "right answer for %u, continue", request);
		} else {
			failures++;
			snprintf(action, len, "FAIL: expected %u", vtl1_service(request));
		}
		return false;
	case 0 << 8 | PORT_READY:
		snprintf(detail, len, "out 0x%x ready for interrupt", port);
		arm_vtl1_interrupt(d, action, len);
		return false;
	case 1 << 8 | PORT_IRQ_DONE:
		d->irqs++;
		d->waiting = NULL;
		snprintf(detail, len, "out 0x%x interrupt serviced, eax=%u", port, value);
		snprintf(action, len, "continue plane 1");
		return false;
	case 0 << 8 | PORT_DONE:
		snprintf(detail, len, "out 0x%x done, eax=%u", port, value);
		snprintf(action, len, "stop");
		return true;
	}
	failures++;
	if (port == PORT_STRAY)
		snprintf(detail, len, "out 0x%x stray exception/interrupt", port);
	else
		snprintf(detail, len, "out 0x%x, eax=%u", port, value);
	snprintf(action, len, "FAIL: unexpected, stop");
	return true;
}

/* KVM_EXIT_PLANE_EVENT: returns true when the demo is over. */
static bool handle_plane_event(struct demo *d, char *detail, char *action, size_t len)
{
	struct kvm_plane_event_exit *ev = &d->run->plane_event;

	snprintf(detail, len, "cause %s, pending 0x%x, target 0x%x",
		 cause_name(ev->cause), ev->pending_event_planes, ev->target);
	if (ev->cause != KVM_PLANE_EVENT_INTERRUPT || !(ev->target & (1 << 1)) ||
	    !d->armed || !d->msi.joined || d->msi.run != d->runs) {
		failures++;
		snprintf(action, len, "FAIL: unexpected, stop");
		return true;
	}
	d->events++;
	d->armed = false;
	d->waiting = "plane 1 runs with IF=1 but its handler for vector 0x40 did not run";
	d->run->req_exit_planes = 0;
	d->kick_usecs = usecs_between(&d->msi.sent, &d->returned);
	snprintf(action, len, "switch to plane 1 (entry: interrupt)");
	switch_to(d, 1, VTL_ENTRY_INTERRUPT);
	return false;
}

static void print_summary(struct demo *d, bool finished)
{
	struct kvm_lapic_state lapic0, lapic1;
	unsigned int p, r, total;
	char what[160];

	say("\nSummary:\n");
	for (p = 0; p < 2; p++) {
		const char *sep = "";

		total = 0;
		for (r = 0; r < 64; r++)
			total += d->exits[p][r];
		say("  exits from plane %u: %u (", p, total);
		for (r = 0; r < 64; r++) {
			if (d->exits[p][r]) {
				say("%s%s %u", sep, exit_name(r), d->exits[p][r]);
				sep = ", ";
			}
		}
		say(")\n");
	}
	say("  plane switches: 0->1 %u, 1->0 %u\n", d->switches[0], d->switches[1]);
	say("  VTL calls served: %u of %u\n", d->served, NR_VTL_CALLS);
	say("  MSIs sent to plane 1: %u, plane events: %u\n", d->msis, d->events);
	say("  interrupts serviced in plane 1: %u\n", d->irqs);
	if (d->events)
		say("  KVM_RUN returned %ld us after the other thread sent the MSI\n",
		    d->kick_usecs);

	xioctl(d->vcpu, KVM_GET_LAPIC, &lapic0);
	xioctl(d->vcpu1, KVM_GET_LAPIC, &lapic1);
	expect(finished, "plane 0 ran to its end (out DONE)");
	snprintf(what, sizeof(what),
		 "%d VTL calls, each switched to plane 1 and back, answers right",
		 NR_VTL_CALLS);
	expect(d->calls == NR_VTL_CALLS && d->served == NR_VTL_CALLS, what);
	expect(d->events == 1,
	       "the MSI to plane 1, sent from another thread while plane 0 spun inside"
	       " KVM_RUN, ended that KVM_RUN with KVM_EXIT_PLANE_EVENT (INTERRUPT, target plane 1)");
	expect(d->irqs == 1 && GUEST_U32(d, MBOX_IRQS) == 1,
	       "plane 1's handler ran once (its counter in guest memory is 1)");
	snprintf(what, sizeof(what), "plane 1's APIC: vector 0x%x not in IRR/ISR (EOI reached it)",
		 VTL1_VECTOR);
	expect(!lapic_vector_bit(&lapic1, APIC_IRR, VTL1_VECTOR) &&
	       !lapic_vector_bit(&lapic1, APIC_ISR, VTL1_VECTOR), what);
	snprintf(what, sizeof(what), "plane 0's APIC never saw vector 0x%x", VTL1_VECTOR);
	expect(!lapic_vector_bit(&lapic0, APIC_IRR, VTL1_VECTOR) &&
	       !lapic_vector_bit(&lapic0, APIC_ISR, VTL1_VECTOR), what);
	snprintf(what, sizeof(what), "plane 1's local APIC id is plane 0's (%u): one CPU",
		 d->apic_id0);
	expect(d->apic_id1 == d->apic_id0, what);
}

static int run_demo(int kvm, int vm)
{
	struct kvm_userspace_memory_region region;
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_lapic_state lapic;
	struct demo d = { 0 };
	char detail[80], action[80];
	uint64_t apic_base;
	bool done = false;
	int mmap_size, seq;

	/* The in-kernel LAPIC must exist before the first KVM_CREATE_PLANE. */
	xioctl(vm, KVM_CREATE_IRQCHIP, 0);

	d.mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (d.mem == MAP_FAILED)
		die_errno("mmap(guest memory)");
	load_guest(d.mem);
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)d.mem,
	};
	xioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);

	d.vcpu = xioctl(vm, KVM_CREATE_VCPU, 0);
	mmap_size = xioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	d.run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, d.vcpu, 0);
	if (d.run == MAP_FAILED)
		die_errno("mmap(vcpu fd)");

	d.plane1 = xioctl(vm, KVM_CREATE_PLANE, 1);
	d.vcpu1 = xioctl(d.plane1, KVM_CREATE_VCPU_PLANE, d.vcpu);
	say("Plane 1: plane fd %d, vCPU fd %d"
	    " (KVM_CAP_PLANES %d, KVM_CAP_SIGNAL_MSI %d on the plane fd)\n",
	    d.plane1, d.vcpu1, ioctl(d.plane1, KVM_CHECK_EXTENSION, KVM_CAP_PLANES),
	    ioctl(d.plane1, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI));
	expect(ioctl(d.vcpu1, KVM_RUN, 0) < 0 && errno == EINVAL,
	       "KVM_RUN on the plane-1 vCPU fd is refused (EINVAL): planes run via the plane-0 fd");

	apic_base = setup_cpu(d.vcpu, VTL0_IDT, VTL0_CODE, VTL0_STACK, 0);
	/* Same APIC base in both planes: they are one CPU. */
	setup_cpu(d.vcpu1, VTL1_IDT, VTL1_CODE, VTL1_STACK, apic_base);
	xioctl(d.vcpu1, KVM_SET_MP_STATE, &mp);

	/* Plane 1's local APIC: software-enabled, spurious vector 0xff. */
	xioctl(d.vcpu1, KVM_GET_LAPIC, &lapic);
	lapic_set_reg(&lapic, APIC_SPIV, APIC_SPIV_ENABLE | 0xff);
	xioctl(d.vcpu1, KVM_SET_LAPIC, &lapic);
	d.apic_id = lapic_reg(&lapic, APIC_ID) >> 24;
	say("Plane 1 local APIC: base 0x%llx, id %u, SVR 0x%x\n",
	    (unsigned long long)apic_base, d.apic_id, lapic_reg(&lapic, APIC_SPIV));
	/* The APIC ID register (xAPIC: bits 31:24) of each plane's APIC. */
	xioctl(d.vcpu, KVM_GET_LAPIC, &lapic);
	d.apic_id0 = lapic_reg(&lapic, APIC_ID) >> 24;
	xioctl(d.vcpu1, KVM_GET_LAPIC, &lapic);
	d.apic_id1 = lapic_reg(&lapic, APIC_ID) >> 24;
	say("Local APIC ids (KVM_GET_LAPIC, APIC ID register): plane 0 %u, plane 1 %u\n",
	    d.apic_id0, d.apic_id1);
	if (!(apic_base & MSR_APICBASE_ENABLE))
		say("  (the APIC is disabled in APIC_BASE: the MSI cannot be delivered)\n");

	say("\nGuest: one vCPU, two planes, 32-bit protected mode, no paging\n");
	say("  plane 0 (VTL0) code 0x%x, stack 0x%x, IDT 0x%x, IF=0\n",
	    VTL0_CODE, VTL0_STACK, VTL0_IDT);
	say("  plane 1 (VTL1) code 0x%x, stack 0x%x, IDT 0x%x (vector 0x%x -> 0x%x), IF=1\n",
	    VTL1_CODE, VTL1_STACK, VTL1_IDT, VTL1_VECTOR, VTL1_ISR);
	say("  mailbox 0x%x, ports: VTL call 0x%x, VTL return 0x%x, result 0x%x,\n"
	    "  ready 0x%x, interrupt serviced 0x%x, done 0x%x, stray 0x%x\n",
	    MBOX, PORT_VTL_CALL, PORT_VTL_RETURN, PORT_RESULT, PORT_READY,
	    PORT_IRQ_DONE, PORT_DONE, PORT_STRAY);

	say("\nTimeline (every KVM_RUN of the plane-0 vCPU fd; plane = run->plane on exit):\n");
	say("  %3s  %5s  %-20s  %-40s  %s\n", "#", "plane", "exit", "detail", "VMM action");
	d.run->plane = 0;
	for (seq = 1; !done && seq <= MAX_EXITS; seq++) {
		uint32_t reason, value = 0;
		unsigned int plane;

		run_vcpu(&d);
		if (d.msi.started && !d.msi.joined)
			report_msi_thread(&d);
		plane = d.run->plane;
		reason = d.run->exit_reason;
		if (plane < 2 && reason < 64)
			d.exits[plane][reason]++;
		detail[0] = '\0';
		if (plane > 1) {
			snprintf(action, sizeof(action), "FAIL: no such plane, stop");
			failures++;
			done = true;
		} else if (reason == KVM_EXIT_IO && d.run->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&value, (uint8_t *)d.run + d.run->io.data_offset,
			       d.run->io.size < 4 ? d.run->io.size : 4);
			done = handle_out(&d, plane, value, detail, action, sizeof(action));
		} else if (reason == KVM_EXIT_PLANE_EVENT) {
			done = handle_plane_event(&d, detail, action, sizeof(action));
		} else {
			struct kvm_regs regs;

			xioctl(plane ? d.vcpu1 : d.vcpu, KVM_GET_REGS, &regs);
			snprintf(detail, sizeof(detail), "RIP 0x%llx, suberror %u",
				 (unsigned long long)regs.rip,
				 reason == KVM_EXIT_INTERNAL_ERROR ? d.run->internal.suberror : 0);
			snprintf(action, sizeof(action), "FAIL: unexpected, stop");
			failures++;
			done = true;
		}
		say("  %3d  %5u  %-20s  %-40s  %s\n", seq, plane, exit_name(reason),
		    detail, action);
	}
	if (!done) {
		say("  more than %d exits: stopping\n", MAX_EXITS);
		failures++;
	}

	print_summary(&d, done && d.run->exit_reason == KVM_EXIT_IO &&
		      d.run->io.port == PORT_DONE);
	if (failures) {
		say("FAIL: %d check(s) failed\n", failures);
		return EXIT_FAIL;
	}
	say("PASS: %u VTL calls served, %u interrupt serviced in plane 1\n",
	    d.served, d.irqs);
	return EXIT_PASS;
}

#else /* !KVM_EXIT_PLANE_EVENT */

static int run_demo(int kvm, int vm)
{
	(void)kvm;
	(void)vm;
	say("FAIL: the kernel has planes but this VMM was built against a <linux/kvm.h>\n"
	    "without them: rebuild it against the patched uapi headers\n");
	return EXIT_VMM_ERROR;
}

#endif /* KVM_EXIT_PLANE_EVENT */

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int kvm, vm, planes, vm_planes;

	sigaction(SIGALRM, &sa, NULL);

	say("== KVM VM planes demo: two planes as Hyper-V-style VTLs ==\n");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die_errno("open /dev/kvm");
	say("KVM API version: %d\n", xioctl(kvm, KVM_GET_API_VERSION, 0));
	planes = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PLANES);
	say("KVM_CAP_PLANES on /dev/kvm: %d\n", planes);

	vm = xioctl(kvm, KVM_CREATE_VM, 0);
	vm_planes = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_PLANES);
	say("KVM_CAP_PLANES on the VM fd: %d\n", vm_planes);
	if (vm_planes < 2) {
		say("This kernel offers no planes beyond plane 0: nothing to run.\n");
		say("SKIP: no planes (KVM_CAP_PLANES on the VM fd is %d, the demo needs 2)\n",
		    vm_planes);
		return EXIT_NO_PLANES;
	}
	return run_demo(kvm, vm);
}
