// SPDX-License-Identifier: GPL-2.0
/*
 * planes-demo: a small VMM that shows what the running kernel offers for
 * KVM VM planes, written with plain ioctls so that it reads as a reference
 * for VMM authors.
 *
 * It reports KVM_CAP_PLANES on /dev/kvm and on a VM fd, then runs a tiny
 * real-mode guest on plane 0 and prints a timeline of its exits. Exit
 * status 0 means every step behaved as the kernel's capabilities say it
 * should.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef KVM_CAP_PLANES
#define KVM_CAP_PLANES 239
#endif

#define GUEST_MEM_SIZE	0x10000
#define GUEST_CODE	0x1000
#define DEMO_PORT	0x10
#define RUN_WATCHDOG_SECS	5
#define MAX_STALLS	3

static int failures;
static int stalls;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void expect(int ok, const char *what)
{
	say("  [%s] %s\n", ok ? " ok " : "FAIL", what);
	if (!ok)
		failures++;
}

static int xioctl(int fd, unsigned long req, unsigned long arg, const char *name)
{
	int r = ioctl(fd, req, arg);

	if (r < 0) {
		say("  %s: %s\n", name, strerror(errno));
		exit(2);
	}
	return r;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * KVM_RUN with a watchdog: a guest that makes no exit within a few seconds
 * is interrupted (SIGALRM without SA_RESTART makes KVM_RUN return EINTR),
 * reported with its RIP, and resumed. Under QEMU's emulated SVM, in about
 * one boot in eight of the unpatched kernel, the first KVM_RUN of this
 * real-mode guest never leaves RIP 0x1000 (every run in that boot); this
 * turns the hang into a visible "guest stalled" failure.
 */
static void run_vcpu(int vcpu, struct kvm_run *run)
{
	struct itimerval it = { .it_value.tv_sec = RUN_WATCHDOG_SECS };
	struct kvm_regs regs;

	for (;;) {
		setitimer(ITIMER_REAL, &it, NULL);
		if (ioctl(vcpu, KVM_RUN, 0) == 0)
			break;
		if (errno != EINTR) {
			say("  KVM_RUN: %s\n", strerror(errno));
			exit(2);
		}
		run->immediate_exit = 0;
		xioctl(vcpu, KVM_GET_REGS, (unsigned long)&regs, "KVM_GET_REGS");
		say("  (no exit for %d s, guest RIP 0x%llx: resuming)\n",
		    RUN_WATCHDOG_SECS, (unsigned long long)regs.rip);
		if (++stalls > MAX_STALLS) {
			say("  guest stalled %d times, giving up\n", stalls);
			exit(1);
		}
	}
	it.it_value.tv_sec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* out %al, $DEMO_PORT with al = 'P', 'L', 'N'; then hlt. */
static const uint8_t guest_code[] = {
	0xb0, 'P', 0xe6, DEMO_PORT,
	0xb0, 'L', 0xe6, DEMO_PORT,
	0xb0, 'N', 0xe6, DEMO_PORT,
	0xf4,
};

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: return "KVM_EXIT_IO";
	case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	default: return "other";
	}
}

int main(void)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, planes, vm_planes, mmap_size, step;
	struct sigaction sa = { .sa_handler = on_alarm };
	char seen[8] = "";
	void *mem;

	sigaction(SIGALRM, &sa, NULL);

	say("== KVM VM planes demo ==\n");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		say("/dev/kvm: %s\n", strerror(errno));
		return 2;
	}
	say("KVM API version: %d\n", xioctl(kvm, KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION"));
	planes = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PLANES);
	say("KVM_CAP_PLANES on /dev/kvm: %d\n", planes);

	vm = xioctl(kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	vm_planes = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_PLANES);
	say("KVM_CAP_PLANES on the VM fd: %d\n", vm_planes);
	if (vm_planes <= 1)
		say("This kernel offers no planes beyond plane 0: running plane 0 only.\n");
	expect(vm_planes >= 0 && planes >= 0, "KVM_CHECK_EXTENSION(KVM_CAP_PLANES) answers");

	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 2;
	memcpy((char *)mem + GUEST_CODE, guest_code, sizeof(guest_code));
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	xioctl(vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&region,
	       "KVM_SET_USER_MEMORY_REGION");

	vcpu = xioctl(vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
	mmap_size = xioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return 2;

	xioctl(vcpu, KVM_GET_SREGS, (unsigned long)&sregs, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	xioctl(vcpu, KVM_SET_SREGS, (unsigned long)&sregs, "KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 2;
	xioctl(vcpu, KVM_SET_REGS, (unsigned long)&regs, "KVM_SET_REGS");

	say("\nTimeline (plane 0, real-mode guest at 0x%x):\n", GUEST_CODE);
	for (step = 1; step <= 8; step++) {
		run_vcpu(vcpu, run);
		say("  %2d  plane 0  %-18s", step, exit_name(run->exit_reason));
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == DEMO_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT) {
			char c = *((char *)run + run->io.data_offset);

			say(" port 0x%x wrote '%c'\n", run->io.port, c);
			if (strlen(seen) < sizeof(seen) - 1)
				seen[strlen(seen)] = c;
			continue;
		}
		say("\n");
		break;
	}
	say("\nSummary:\n");
	expect(run->exit_reason == KVM_EXIT_HLT, "guest ran to its HLT");
	expect(!strcmp(seen, "PLN"), "guest wrote \"PLN\" to the demo port");
	if (stalls)
		say("  (KVM_RUN stalled %d time(s) and was resumed)\n", stalls);
	say("%s\n", failures ? "demo FAILED" : "demo OK");
	return failures ? 1 : 0;
}
