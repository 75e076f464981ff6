// SPDX-License-Identifier: GPL-2.0
/*
 * planes-bench: what VM planes cost, measured with plain KVM ioctls by a
 * small VMM. The same binary runs on the unpatched base and on the series;
 * scripts/bench.sh boots both under QEMU with -icount (the guest clock
 * counts instructions, so a figure repeats from boot to boot to about
 * 0.02 %) and compares them.
 *
 * Every guest is one or two vCPUs in 32-bit protected mode without paging,
 * with the in-kernel irqchip and the CPUID KVM supports. Time is the TSC
 * of the machine the VMM runs on, read by the VMM, in ns (KVM_GET_TSC_KHZ).
 *
 * VMs without planes (P3, on both kernels):
 *   io        KVM_EXIT_IO round trip: the guest loops on "out", the VMM
 *             re-enters; time per KVM_RUN.
 *   cpuid     in-kernel CPUID exit: the guest runs CPUID n times, then one
 *             "out"; time of that KVM_RUN / n.
 *   mmio      KVM_EXIT_MMIO round trip: the guest loops on a store to a
 *             GPA without memslot.
 *   ipi       HLT + IPI wake-up: two vCPUs (two threads) send each other a
 *             fixed IPI and halt; time per round trip (two IPIs, two wake-ups).
 *   vcpu      KVM_CREATE_VCPU, 64 per VM: time per vCPU.
 *   vcpu_mem  kernel memory per vCPU (/proc/meminfo over 64 creations).
 * With planes (series only):
 *   plane_switch  P1: like io, but every KVM_RUN runs the other plane
 *             (plane 0 "out" -> run->plane = 1, plane 1 "out" -> 0); time
 *             per KVM_RUN, to compare with io.
 *   plane_io  like io, in a VM with two planes, plane 0 only: what having
 *             planes costs without switching.
 *   plane_vcpu, plane_vcpu_mem  P4: KVM_CREATE_VCPU_PLANE, 64 per VM.
 *   vtl_switch  Hyper-V VSM (KVM_CAP_HYPERV_VSM) with in-kernel switching:
 *             VTL 0 does n HvCallVtlCall (32-bit, VMMCALL), VTL 1 answers
 *             each with a fast HvCallVtlReturn, then one "out"; time per
 *             call + return pair, to compare with two cpuid exits.
 *   vtl_switch_user  the same guest without in-kernel switching: each call
 *             and return is a KVM_PLANE_EVENT_SWITCH exit, and the VMM
 *             only sets run->plane (a VMM that carries the shared registers
 *             with KVM_GET/SET_REGS pays more); time per pair.
 *   event_running, event_halted  KVM_SIGNAL_MSI on the plane-1 fd, from a
 *             second thread, to KVM_RUN of plane 0 returning
 *             KVM_EXIT_PLANE_EVENT (req_exit_planes = 1 << 1); plane 0
 *             spins, or halts, with IF=0. On one host CPU (make bench)
 *             the "running" vCPU is runnable, not in guest mode, while the
 *             sender runs: the figure includes the switch back to it.
 *
 * Usage: planes-bench [FIGURE...]   (default: all; vcpu includes vcpu_mem
 * and the plane_vcpu figures)
 *
 * Output: one line per figure,
 *   bench: NAME VALUE UNIT iters=N reps=R min=MIN max=MAX
 * VALUE is the median of R repetitions of N iterations each (after one
 * repetition of warm-up; memory: the mean), MIN and MAX the extremes.
 * Memory lines add the /proc/meminfo fields. Exit status: 0 done, 1 the guest or KVM did not
 * behave as expected, 2 an ioctl failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef KVM_CAP_PLANES
#define KVM_CAP_PLANES 239
#endif

#define REPS		5
#define NR_IO		10000
#define NR_CPUID	10000
#define NR_MMIO		5000
#define NR_IPI		1000
#define NR_VCPUS	64
#define NR_EVENTS	20
#define NR_VTL		5000
#define WATCHDOG_SECS	20	/* per figure (the longest takes 2 s) */

/* Guest physical layout: 1 MiB of RAM at 0. */
#define GUEST_MEM_SIZE	0x100000
#define GDT		0x1000
#define IDT_A		0x2000	/* plane 0 / vCPU 0 */
#define IDT_B		0x3000	/* plane 1 / vCPU 1 */
#define COUNT		0x4000	/* u32: iterations, written by the VMM */
#define SPIN		0x4004	/* u32: incremented by the spinning guest */
#define CODE		0x10000	/* the guest code below, all of it */
#define STACK_A		0x80000
#define STACK_B		0x90000
#define MMIO_GPA	0xc0000000u
#define APIC_BASE	0xfee00000u

/* Ports that no in-kernel device claims (0x20/0x21 would be the PIC's). */
#define PORT_IO		0xe0
#define PORT_CPUID	0xe1
#define PORT_IPI	0xe2
#define PORT_PLANE0	0xe3
#define PORT_PLANE1	0xe4
#define PORT_IRQ	0xe5
#define PORT_VTL	0xe6
#define PORT_STRAY	0xef
#define VECTOR		0x40

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The guest code, 32-bit, copied as one block to CODE; it refers to data by
 * absolute address and to itself by relative jumps only.
 */
asm(".pushsection .rodata.guest, \"a\"\n"
    ".code32\n"
    "guest_begin:\n"
    "g_io: out %al, $" STR(PORT_IO) "; jmp g_io\n"
    "g_cpuid: mov " STR(COUNT) ", %esi\n"
    "1: xor %eax, %eax; cpuid; dec %esi; jnz 1b\n"
    "   out %al, $" STR(PORT_CPUID) "; jmp g_cpuid\n"
    "g_mmio: mov %eax, " STR(MMIO_GPA) "; jmp g_mmio\n"
    "g_plane0: out %al, $" STR(PORT_PLANE0) "; jmp g_plane0\n"
    "g_plane1: out %al, $" STR(PORT_PLANE1) "; jmp g_plane1\n"
    "g_spin: incl " STR(SPIN) "; jmp g_spin\n"
    "g_halt: hlt; jmp g_halt\n"
    /* Plane 1 of the event test: takes its interrupt as soon as it runs. */
    "g_irq_loop: sti; 1: jmp 1b\n"
    "g_isr_irq: movl $0, " STR(APIC_BASE + 0xb0) "; out %al, $" STR(PORT_IRQ) "; iret\n"
    /* vCPU 0 of the IPI test: COUNT times IPI to APIC 1, then halt. */
    "g_ipi0: mov " STR(COUNT) ", %esi\n"
    "2: movl $0x01000000, " STR(APIC_BASE + 0x310) "\n"
    "   movl $" STR(VECTOR) ", " STR(APIC_BASE + 0x300) "\n"
    "   sti; hlt; cli; dec %esi; jnz 2b\n"
    "   out %al, $" STR(PORT_IPI) "; jmp g_ipi0\n"
    "g_isr_eoi: movl $0, " STR(APIC_BASE + 0xb0) "; iret\n"
    /* vCPU 1: halts; its handler answers with an IPI to APIC 0. */
    "g_ipi1: sti; hlt; jmp g_ipi1\n"
    "g_isr_pong: movl $0, " STR(APIC_BASE + 0xb0) "\n"
    "   movl $0, " STR(APIC_BASE + 0x310) "\n"
    "   movl $" STR(VECTOR) ", " STR(APIC_BASE + 0x300) "; iret\n"
    /* VSM: VTL 0 calls VTL 1 COUNT times (32-bit: control in EDX:EAX). */
    "g_vtl0: mov " STR(COUNT) ", %esi\n"
    "1: mov $0x11, %eax; xor %edx, %edx; xor %ecx, %ecx; vmmcall\n"
    "   dec %esi; jnz 1b\n"
    "   out %al, $" STR(PORT_VTL) "; jmp g_vtl0\n"
    /* VTL 1 returns at once: fast return, input (ECX) bit 0. */
    "g_vtl1: mov $0x12, %eax; xor %edx, %edx; mov $1, %ecx; vmmcall; jmp g_vtl1\n"
    "g_stray: out %al, $" STR(PORT_STRAY) "; jmp g_stray\n"
    "guest_end:\n"
    ".code64\n"
    ".popsection\n");

extern const uint8_t guest_begin[], guest_end[], g_io[], g_cpuid[], g_mmio[],
	g_plane0[], g_plane1[], g_spin[], g_halt[], g_irq_loop[], g_isr_irq[],
	g_ipi0[], g_isr_eoi[], g_ipi1[], g_isr_pong[], g_vtl0[], g_vtl1[], g_stray[];

/* The guest address of a label of the guest code. */
#define GPA(label) ((uint32_t)(CODE + ((label) - guest_begin)))

static const uint64_t gdt[] = {
	0,
	0x00cf9b000000ffffull,		/* 0x08: code, base 0, 4 GiB, 32-bit */
	0x00cf93000000ffffull,		/* 0x10: data */
};

static int kvm, run_size;
static const char *current;	/* the figure being measured */
static unsigned long tsc_khz;
static bool have_planes;

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(1);
}

static int do_ioctl(int fd, unsigned long req, unsigned long arg, const char *name)
{
	int r = ioctl(fd, req, arg);

	if (r < 0) {
		printf("FAIL: %s: %s\n", name, strerror(errno));
		exit(2);
	}
	return r;
}
#define xioctl(fd, req, arg) do_ioctl(fd, req, (unsigned long)(arg), #req)

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

static double ns(uint64_t ticks)
{
	return ticks * 1e6 / tsc_khz;
}

struct vm {
	int fd, plane1;
	uint8_t *mem;
	int vcpu[2], pvcpu;		/* plane-0 vCPUs, the plane-1 vCPU of vcpu[0] */
	struct kvm_run *run[2];
	struct kvm_cpuid2 *cpuid;
};

#define GUEST_U32(v, gpa) (*(volatile uint32_t *)((v)->mem + (gpa)))

static void set_gate(uint8_t *mem, uint32_t idt, int vector, uint32_t handler)
{
	uint64_t gate = (handler & 0xffff) | (0x08ull << 16) |
			(0x8e00ull << 32) |	/* present, 32-bit interrupt gate */
			((uint64_t)(handler >> 16) << 48);

	memcpy(mem + idt + vector * 8, &gate, sizeof(gate));
}

/* A VM with the in-kernel irqchip and its memory; isr_a/b: VECTOR's handlers. */
static void vm_create(struct vm *v, const uint8_t *isr_a, const uint8_t *isr_b)
{
	struct kvm_userspace_memory_region region = { .memory_size = GUEST_MEM_SIZE };
	int i;

	memset(v, 0, sizeof(*v));
	v->fd = xioctl(kvm, KVM_CREATE_VM, 0);
	xioctl(v->fd, KVM_CREATE_IRQCHIP, 0);
	v->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	memcpy(v->mem + GDT, gdt, sizeof(gdt));
	memcpy(v->mem + CODE, guest_begin, guest_end - guest_begin);
	for (i = 0; i < 256; i++) {
		set_gate(v->mem, IDT_A, i, i == VECTOR && isr_a ? GPA(isr_a) : GPA(g_stray));
		set_gate(v->mem, IDT_B, i, i == VECTOR && isr_b ? GPA(isr_b) : GPA(g_stray));
	}
	region.userspace_addr = (uintptr_t)v->mem;
	xioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &region);

	v->cpuid = calloc(1, sizeof(*v->cpuid) + 256 * sizeof(v->cpuid->entries[0]));
	v->cpuid->nent = 256;
	xioctl(kvm, KVM_GET_SUPPORTED_CPUID, v->cpuid);
}

static void vm_destroy(struct vm *v)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (v->run[i])
			munmap(v->run[i], run_size);
		if (v->vcpu[i])
			close(v->vcpu[i]);
	}
	if (v->pvcpu)
		close(v->pvcpu);
	if (v->plane1)
		close(v->plane1);
	close(v->fd);
	munmap(v->mem, GUEST_MEM_SIZE);
	free(v->cpuid);
}

/*
 * Software-enable the local APIC (SVR bit 8, spurious vector 0xff) before
 * the vCPU runs: a disabled APIC drops fixed interrupts.
 */
static void lapic_enable(int fd)
{
	struct kvm_lapic_state lapic;
	uint32_t svr = 0x1ff;

	xioctl(fd, KVM_GET_LAPIC, &lapic);
	memcpy(lapic.regs + 0xf0, &svr, sizeof(svr));
	xioctl(fd, KVM_SET_LAPIC, &lapic);
}

/* Flat 32-bit protected mode at @rip, IF=0. */
static void setup_cpu(int fd, uint32_t idt, uint32_t rip, uint32_t rsp, uint64_t apic_base)
{
	struct kvm_segment code = {
		.limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .s = 1, .db = 1, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_regs regs = { .rip = rip, .rsp = rsp, .rflags = 2 };
	struct kvm_sregs sregs;

	data.selector = 0x10;
	data.type = 0x3;
	xioctl(fd, KVM_GET_SREGS, &sregs);
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.gdt.base = GDT;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.idt.base = idt;
	sregs.idt.limit = 256 * 8 - 1;
	sregs.cr0 |= 1;				/* PE */
	if (apic_base)
		sregs.apic_base = apic_base;
	xioctl(fd, KVM_SET_SREGS, &sregs);
	xioctl(fd, KVM_SET_REGS, &regs);
}

static void add_vcpu(struct vm *v, int i, const uint8_t *entry)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	v->vcpu[i] = xioctl(v->fd, KVM_CREATE_VCPU, i);
	xioctl(v->vcpu[i], KVM_SET_CPUID2, v->cpuid);
	v->run[i] = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu[i], 0);
	if (v->run[i] == MAP_FAILED)
		fail("mmap(vcpu): %s", strerror(errno));
	setup_cpu(v->vcpu[i], i ? IDT_B : IDT_A, GPA(entry), i ? STACK_B : STACK_A, 0);
	xioctl(v->vcpu[i], KVM_SET_MP_STATE, &mp);
	lapic_enable(v->vcpu[i]);
}

/* KVM_RUN of vCPU @i, which must exit with an "out" to @port. */
static void run_out(struct vm *v, int i, int port)
{
	struct kvm_run *run = v->run[i];

	xioctl(v->vcpu[i], KVM_RUN, 0);
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != port)
		fail("vCPU %d: exit %u port 0x%x suberror %u, expected an out to 0x%x", i,
		     run->exit_reason, run->exit_reason == KVM_EXIT_IO ? run->io.port : 0,
		     run->exit_reason == KVM_EXIT_INTERNAL_ERROR ? run->internal.suberror : 0,
		     port);
}

/* The results of one figure, in the units of the figure. */
struct figure {
	double val[REPS];
	int n;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @f, or with @mean its mean. */
static void report(const char *name, const char *unit, struct figure *f,
		   unsigned int iters, bool mean, const char *extra)
{
	double value, sum = 0;
	int i;

	qsort(f->val, f->n, sizeof(f->val[0]), cmp_double);
	for (i = 0; i < f->n; i++)
		sum += f->val[i];
	value = mean ? sum / f->n : f->val[f->n / 2];
	printf("bench: %s %.4f %s iters=%u reps=%d min=%.4f max=%.4f%s%s\n", name,
	       value, unit, iters, f->n, f->val[0], f->val[f->n - 1],
	       extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

/*
 * measure(): one warm-up call, then REPS calls of @fn, each returning the
 * figure of @iters iterations; reported as NAME.
 */
static void measure(const char *name, const char *unit, unsigned int iters,
		    double (*fn)(struct vm *, unsigned int), struct vm *v)
{
	struct figure f = { 0 };

	current = name;
	alarm(WATCHDOG_SECS);
	fn(v, iters);
	for (f.n = 0; f.n < REPS; f.n++)
		f.val[f.n] = fn(v, iters);
	alarm(0);
	report(name, unit, &f, iters, false, NULL);
}

static double bench_io(struct vm *v, unsigned int n)
{
	uint64_t t0 = rdtsc();
	unsigned int i;

	for (i = 0; i < n; i++)
		run_out(v, 0, PORT_IO);
	return ns(rdtsc() - t0) / n;
}

/* A guest that loops COUNT times in the kernel, then does "out" to @port. */
static double guest_loop(struct vm *v, unsigned int n, int port)
{
	uint64_t t0;

	GUEST_U32(v, COUNT) = n;
	t0 = rdtsc();
	run_out(v, 0, port);
	return ns(rdtsc() - t0) / n;
}

static double bench_cpuid(struct vm *v, unsigned int n)
{
	return guest_loop(v, n, PORT_CPUID);
}

static double bench_mmio(struct vm *v, unsigned int n)
{
	struct kvm_run *run = v->run[0];
	uint64_t t0 = rdtsc();
	unsigned int i;

	for (i = 0; i < n; i++) {
		xioctl(v->vcpu[0], KVM_RUN, 0);
		if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != MMIO_GPA ||
		    !run->mmio.is_write)
			fail("mmio: exit %u, expected KVM_EXIT_MMIO", run->exit_reason);
	}
	return ns(rdtsc() - t0) / n;
}

/* The IPI test's vCPU 1, in its own thread until vcpu1_stop. */
static volatile bool vcpu1_stop;

static void *vcpu1_thread(void *arg)
{
	struct vm *v = arg;

	while (!vcpu1_stop) {
		if (ioctl(v->vcpu[1], KVM_RUN, 0) == 0)
			fail("IPI test: vCPU 1 exited (reason %u, port 0x%x, suberror %u)",
			     v->run[1]->exit_reason, v->run[1]->io.port,
			     v->run[1]->internal.suberror);
		if (errno != EINTR)
			fail("IPI test: KVM_RUN of vCPU 1: %s", strerror(errno));
	}
	return NULL;
}

static double bench_ipi(struct vm *v, unsigned int n)
{
	return guest_loop(v, n, PORT_IPI);
}

static void on_signal(int sig)
{
	(void)sig;
}

static void on_alarm(int sig)
{
	(void)sig;
	printf("FAIL: %s: no result after %d s\n", current, WATCHDOG_SECS);
	fflush(stdout);
	_exit(1);
}

static void figure_ipi(void)
{
	struct vm v;
	pthread_t thread;

	vm_create(&v, g_isr_eoi, g_isr_pong);
	add_vcpu(&v, 0, g_ipi0);
	add_vcpu(&v, 1, g_ipi1);
	vcpu1_stop = false;
	pthread_create(&thread, NULL, vcpu1_thread, &v);
	measure("ipi", "ns", NR_IPI, bench_ipi, &v);
	vcpu1_stop = true;
	v.run[1]->immediate_exit = 1;
	pthread_kill(thread, SIGUSR1);
	pthread_join(thread, NULL);
	vm_destroy(&v);
}

/* Kernel memory in use, in KiB, by /proc/meminfo field. */
static const char *const mem_fields[] = {
	"MemFree", "Slab", "KernelStack", "PageTables", "VmallocUsed", "Percpu",
};
#define NR_MEM_FIELDS (sizeof(mem_fields) / sizeof(mem_fields[0]))

static void meminfo(long kib[NR_MEM_FIELDS])
{
	char line[128], name[64];
	unsigned int i;
	FILE *f = fopen("/proc/meminfo", "r");
	long val;

	if (!f)
		fail("/proc/meminfo: %s", strerror(errno));
	memset(kib, 0, NR_MEM_FIELDS * sizeof(kib[0]));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %ld", name, &val) != 2)
			continue;
		for (i = 0; i < NR_MEM_FIELDS; i++)
			if (!strcmp(name, mem_fields[i]))
				kib[i] = val;
	}
	fclose(f);
}

/*
 * vCPU creation, time and memory: a VM, 64 plane-0 vCPUs, then (with
 * planes) plane 1 and 64 plane-1 vCPUs. Memory is MemFree's drop and where
 * meminfo puts it, in KiB per vCPU, averaged over the repetitions: MemFree
 * moves by batches of pages (the per-CPU free lists), so one repetition is
 * exact to a few KiB per vCPU only.
 */
static void figure_vcpus(void)
{
	long m[3][NR_MEM_FIELDS], mem[2][NR_MEM_FIELDS][REPS];
	struct figure t[2] = { 0 }, total[2] = { 0 };
	int fds[2][NR_VCPUS], r, i, k, kinds = have_planes ? 2 : 1;
	static const char *const names[2][2] = {
		{ "vcpu", "vcpu_mem" }, { "plane_vcpu", "plane_vcpu_mem" } };
	char extra[256];
	uint64_t t0;
	struct vm v;
	FILE *f;

	current = "vcpu";
	alarm(WATCHDOG_SECS);
	for (r = -1; r < REPS; r++) {		/* r = -1: warm-up */
		vm_create(&v, NULL, NULL);
		if (have_planes)
			v.plane1 = xioctl(v.fd, KVM_CREATE_PLANE, 1);
		meminfo(m[0]);
		t0 = rdtsc();
		for (i = 0; i < NR_VCPUS; i++)
			fds[0][i] = xioctl(v.fd, KVM_CREATE_VCPU, i);
		if (r >= 0)
			t[0].val[r] = ns(rdtsc() - t0) / NR_VCPUS;
		meminfo(m[1]);
		if (have_planes) {
			t0 = rdtsc();
			for (i = 0; i < NR_VCPUS; i++)
				fds[1][i] = xioctl(v.plane1, KVM_CREATE_VCPU_PLANE, fds[0][i]);
			if (r >= 0)
				t[1].val[r] = ns(rdtsc() - t0) / NR_VCPUS;
			meminfo(m[2]);
		}
		for (k = 0; r >= 0 && k < kinds; k++) {
			for (i = 0; i < (int)NR_MEM_FIELDS; i++)
				mem[k][i][r] = i == 0 ? m[k][0] - m[k + 1][0]
						      : m[k + 1][i] - m[k][i];
			total[k].val[r] = (double)mem[k][0][r] / NR_VCPUS;
		}
		for (k = 0; k < kinds; k++)
			for (i = 0; i < NR_VCPUS; i++)
				close(fds[k][i]);
		vm_destroy(&v);
	}
	alarm(0);
	for (k = 0; k < kinds; k++) {
		t[k].n = total[k].n = REPS;
		report(names[k][0], "ns", &t[k], NR_VCPUS, false, NULL);
		extra[0] = '\0';
		for (i = 1; i < (int)NR_MEM_FIELDS; i++) {
			double sum = 0;

			for (r = 0; r < REPS; r++)
				sum += mem[k][i][r];
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
				 "%s%s=%.2f", i > 1 ? " " : "", mem_fields[i],
				 sum / REPS / NR_VCPUS);
		}
		report(names[k][1], "KiB", &total[k], NR_VCPUS, true, extra);
	}
	/* sizeof(struct vcpu_svm), where the slab caches are in sysfs. */
	f = fopen("/sys/kernel/slab/kvm_vcpu/object_size", "r");
	if (f && fscanf(f, "%d", &i) == 1)
		printf("bench: info kvm_vcpu_object_size=%d\n", i);
	if (f)
		fclose(f);
}

#ifdef KVM_EXIT_PLANE_EVENT

/* A VM whose vCPU 0 has a plane-1 vCPU, both in protected mode. */
static void planes_vm(struct vm *v, const uint8_t *entry0, const uint8_t *entry1,
		      const uint8_t *isr1)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;

	vm_create(v, NULL, isr1);
	v->plane1 = xioctl(v->fd, KVM_CREATE_PLANE, 1);
	add_vcpu(v, 0, entry0);
	v->pvcpu = xioctl(v->plane1, KVM_CREATE_VCPU_PLANE, v->vcpu[0]);
	xioctl(v->vcpu[0], KVM_GET_SREGS, &sregs);
	setup_cpu(v->pvcpu, IDT_B, GPA(entry1), STACK_B, sregs.apic_base);
	xioctl(v->pvcpu, KVM_SET_MP_STATE, &mp);
	lapic_enable(v->pvcpu);
}

static double bench_plane_switch(struct vm *v, unsigned int n)
{
	struct kvm_run *run = v->run[0];
	uint64_t t0 = rdtsc();
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int plane = run->plane;

		run_out(v, 0, plane ? PORT_PLANE1 : PORT_PLANE0);
		if (run->plane != plane)
			fail("plane switch: plane %u exited, expected %u", run->plane, plane);
		run->plane = !plane;
	}
	return ns(rdtsc() - t0) / n;
}

/* The plane-event test: the MSI sender's side, in a second thread. */
static struct {
	struct vm *v;
	bool halt;
	pid_t vcpu_tid;
	sem_t armed, sent;
	volatile uint64_t t0;
} ev;

static char thread_state(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		fail("%s: %s", path, strerror(errno));
	fclose(f);
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : '?';
}

/*
 * Once the vCPU thread is in KVM_RUN and plane 0 spins (SPIN moves) or the
 * thread sleeps (halted), send the MSI to plane 1 and note the time.
 */
static void *msi_sender(void *arg)
{
	struct kvm_msi msi = { .address_lo = APIC_BASE, .data = VECTOR };
	struct timespec pause = { .tv_nsec = 100 * 1000 };
	uint32_t spin;

	(void)arg;
	for (;;) {
		sem_wait(&ev.armed);
		if (!ev.v)
			return NULL;
		spin = GUEST_U32(ev.v, SPIN);
		do
			nanosleep(&pause, NULL);
		while (ev.halt ? thread_state(ev.vcpu_tid) != 'S' : GUEST_U32(ev.v, SPIN) == spin);
		ev.t0 = rdtsc();
		if (ioctl(ev.v->plane1, KVM_SIGNAL_MSI, &msi) != 1)
			fail("KVM_SIGNAL_MSI on the plane-1 fd was not delivered");
		sem_post(&ev.sent);
	}
}

static double bench_event(struct vm *v, unsigned int n)
{
	struct kvm_run *run = v->run[0];
	struct kvm_mp_state mp;
	double sum = 0;
	unsigned int i;
	uint64_t t1;

	for (i = 0; i < n; i++) {
		run->plane = 0;
		run->req_exit_planes = 1 << 1;
		sem_post(&ev.armed);
		xioctl(v->vcpu[0], KVM_RUN, 0);
		t1 = rdtsc();
		sem_wait(&ev.sent);
		if (run->exit_reason != KVM_EXIT_PLANE_EVENT || run->plane != 0 ||
		    run->plane_event.cause != KVM_PLANE_EVENT_INTERRUPT ||
		    run->plane_event.target != 1 << 1)
			fail("event: exit %u plane %u, expected a plane event for plane 1",
			     run->exit_reason, run->plane);
		sum += ns(t1 - ev.t0);
		xioctl(v->vcpu[0], KVM_GET_MP_STATE, &mp);
		if (mp.mp_state != (ev.halt ? KVM_MP_STATE_HALTED : KVM_MP_STATE_RUNNABLE))
			fail("event: plane 0 in mp_state %u", mp.mp_state);
		/* Plane 1 takes the interrupt: EOI, then out PORT_IRQ. */
		run->req_exit_planes = 0;
		run->plane = 1;
		run_out(v, 0, PORT_IRQ);
	}
	run->plane = 0;
	return sum / n;
}

static void figure_event(bool halt)
{
	pthread_t thread;
	struct vm v;

	planes_vm(&v, halt ? g_halt : g_spin, g_irq_loop, g_isr_irq);
	ev.v = &v;
	ev.halt = halt;
	ev.vcpu_tid = syscall(SYS_gettid);
	sem_init(&ev.armed, 0, 0);
	sem_init(&ev.sent, 0, 0);
	pthread_create(&thread, NULL, msi_sender, NULL);
	measure(halt ? "event_halted" : "event_running", "ns", NR_EVENTS, bench_event, &v);
	ev.v = NULL;
	sem_post(&ev.armed);
	pthread_join(thread, NULL);
	vm_destroy(&v);
}

static void figure_plane_switch(void)
{
	struct vm v;

	planes_vm(&v, g_plane0, g_plane1, NULL);
	measure("plane_switch", "ns", NR_IO, bench_plane_switch, &v);
	vm_destroy(&v);
}

static void figure_plane_io(void)
{
	struct vm v;

	planes_vm(&v, g_io, g_plane1, NULL);
	measure("plane_io", "ns", NR_IO, bench_io, &v);
	vm_destroy(&v);
}

#define HV_CPUID_FEATURES		0x40000003
#define HV_X64_MSR_GUEST_OS_ID		0x40000000
#define HV_ACCESS_VSM			(1u << 16)

/*
 * A VSM VM (KVM_CAP_PLANES_FPU, then KVM_CAP_HYPERV_VSM with @flags) whose
 * vCPU 0 has the Hyper-V CPUID, AccessVsm and a guest OS id, and VTL 1.
 */
static void vsm_vm(struct vm *v, uint64_t flags)
{
	struct kvm_enable_cap fpu = { .cap = KVM_CAP_PLANES_FPU, .args = { 1 } };
	struct kvm_enable_cap vsm = { .cap = KVM_CAP_HYPERV_VSM, .args = { flags } };
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = { .hdr.nmsrs = 1, .entry = { .index = HV_X64_MSR_GUEST_OS_ID,
					      .data = 0x8100000000000000ull } };
	struct kvm_cpuid2 *hv;
	struct kvm_sregs sregs;
	unsigned int i, n;

	vm_create(v, NULL, NULL);
	xioctl(v->fd, KVM_ENABLE_CAP, &fpu);
	xioctl(v->fd, KVM_ENABLE_CAP, &vsm);

	/*
	 * The supported CPUID with the Hyper-V leaves, and AccessVsm, in place
	 * of KVM's own at 0x40000000.
	 */
	hv = calloc(1, sizeof(*hv) + 64 * sizeof(hv->entries[0]));
	hv->nent = 64;
	xioctl(kvm, KVM_GET_SUPPORTED_HV_CPUID, hv);
	for (i = n = 0; i < v->cpuid->nent; i++) {
		if ((v->cpuid->entries[i].function & 0xf0000000) != 0x40000000)
			v->cpuid->entries[n++] = v->cpuid->entries[i];
	}
	v->cpuid = realloc(v->cpuid, sizeof(*v->cpuid) +
			   (n + hv->nent) * sizeof(v->cpuid->entries[0]));
	for (i = 0; i < hv->nent; i++) {
		if (hv->entries[i].function == HV_CPUID_FEATURES)
			hv->entries[i].ebx |= HV_ACCESS_VSM;
		v->cpuid->entries[n + i] = hv->entries[i];
	}
	v->cpuid->nent = n + hv->nent;
	free(hv);

	add_vcpu(v, 0, g_vtl0);
	xioctl(v->vcpu[0], KVM_SET_MSRS, &msrs);
	v->plane1 = xioctl(v->fd, KVM_CREATE_PLANE, 1);
	v->pvcpu = xioctl(v->plane1, KVM_CREATE_VCPU_PLANE, v->vcpu[0]);
	xioctl(v->vcpu[0], KVM_GET_SREGS, &sregs);
	setup_cpu(v->pvcpu, IDT_B, GPA(g_vtl1), STACK_B, sregs.apic_base);
	xioctl(v->pvcpu, KVM_SET_MP_STATE, &mp);
}

/* In-kernel switching: one KVM_RUN for n call + return pairs. */
static double bench_vtl_switch(struct vm *v, unsigned int n)
{
	struct kvm_regs regs;
	double t;

	/* VTL 1 leaves its RAX (0x12) to VTL 0: proof that it ran. */
	t = guest_loop(v, n, PORT_VTL);
	xioctl(v->vcpu[0], KVM_GET_REGS, &regs);
	if (v->run[0]->plane != 0 || regs.rax != 0x12)
		fail("vtl_switch: plane %u exited, RAX 0x%llx", v->run[0]->plane, regs.rax);
	return t;
}

/* Without: the VMM switches on each KVM_PLANE_EVENT_SWITCH. */
static double bench_vtl_switch_user(struct vm *v, unsigned int n)
{
	struct kvm_run *run = v->run[0];
	unsigned int i, plane;
	uint64_t t0;

	GUEST_U32(v, COUNT) = n;
	t0 = rdtsc();
	for (i = 0; i < 2 * n; i++) {
		plane = run->plane;
		xioctl(v->vcpu[0], KVM_RUN, 0);
		if (run->exit_reason != KVM_EXIT_PLANE_EVENT || run->plane != plane ||
		    run->plane_event.cause != KVM_PLANE_EVENT_SWITCH ||
		    run->plane_event.target != 1u << !plane)
			fail("vtl_switch_user: KVM_RUN %u of plane %u: exit %u (port 0x%x), expected a switch to %u",
			     i, run->plane, run->exit_reason,
			     run->exit_reason == KVM_EXIT_IO ? run->io.port : 0, !plane);
		run->plane = !plane;
	}
	run_out(v, 0, PORT_VTL);
	return ns(rdtsc() - t0) / n;
}

static void figure_vtl_switch(void)
{
	struct vm v;

	vsm_vm(&v, KVM_HYPERV_VSM_IN_KERNEL_SWITCH);
	measure("vtl_switch", "ns", NR_VTL, bench_vtl_switch, &v);
	vm_destroy(&v);

	vsm_vm(&v, 0);
	measure("vtl_switch_user", "ns", NR_VTL, bench_vtl_switch_user, &v);
	vm_destroy(&v);
}

static void figure_event_running(void)
{
	figure_event(false);
}

static void figure_event_halted(void)
{
	figure_event(true);
}

#else

static void no_planes_uapi(void)
{
	fail("built against a <linux/kvm.h> without planes");
}
#define figure_plane_switch no_planes_uapi
#define figure_plane_io no_planes_uapi
#define figure_event_running no_planes_uapi
#define figure_event_halted no_planes_uapi
#define figure_vtl_switch no_planes_uapi

#endif /* KVM_EXIT_PLANE_EVENT */

/* One VM with one vCPU at @entry for each of io, cpuid and mmio. */
static void figure_one(const char *name, unsigned int n, const uint8_t *entry,
		       double (*fn)(struct vm *, unsigned int))
{
	struct vm v;

	vm_create(&v, NULL, NULL);
	add_vcpu(&v, 0, entry);
	measure(name, "ns", n, fn, &v);
	vm_destroy(&v);
}

static void figure_io(void)
{
	figure_one("io", NR_IO, g_io, bench_io);
}

static void figure_cpuid(void)
{
	figure_one("cpuid", NR_CPUID, g_cpuid, bench_cpuid);
}

static void figure_mmio(void)
{
	figure_one("mmio", NR_MMIO, g_mmio, bench_mmio);
}

static const struct {
	const char *name;
	void (*fn)(void);
	bool planes;		/* needs a kernel with planes */
} figures[] = {
	{ "io", figure_io, false }, { "cpuid", figure_cpuid, false },
	{ "mmio", figure_mmio, false }, { "ipi", figure_ipi, false },
	{ "vcpu", figure_vcpus, false },
	{ "plane_switch", figure_plane_switch, true },
	{ "plane_io", figure_plane_io, true },
	{ "event_running", figure_event_running, true },
	{ "event_halted", figure_event_halted, true },
	{ "vtl_switch", figure_vtl_switch, true },
};

static bool wanted(const char *name, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return argc < 2;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned int i;
	struct vm v;
	int planes;

	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGALRM, on_alarm);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		fail("/dev/kvm: %s", strerror(errno));
	run_size = xioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	vm_create(&v, NULL, NULL);
	add_vcpu(&v, 0, g_io);
	tsc_khz = xioctl(v.vcpu[0], KVM_GET_TSC_KHZ, 0);
	planes = ioctl(v.fd, KVM_CHECK_EXTENSION, KVM_CAP_PLANES);
	vm_destroy(&v);
	have_planes = planes >= 2;
	printf("bench: info tsc_khz=%lu planes=%d\n", tsc_khz, planes);

	for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
		if (!wanted(figures[i].name, argc, argv) || (figures[i].planes && !have_planes))
			continue;
		printf("# %s\n", figures[i].name);
		fflush(stdout);
		figures[i].fn();
	}
	printf("bench: done\n");
	return 0;
}
