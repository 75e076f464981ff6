# The VM planes series: build, boot and test it. See README.md.
# Every step runs on its own; 'make check' and 'make demo' run them in order.

SHELL := /bin/bash
S := scripts
T ?=
TIMEOUT ?= 150

.PHONY: help deps tree export kernel selftests initramfs vm-test regression bisect \
	planes-tests checkpatch sparse docs unit baseline check demo demo-vmm cross distro \
	bench bench-kernels bench-vmm bench-run bench-table insn-trace stress

help:
	@sed -n 's/^## //p' Makefile

## make deps        install the Debian packages everything needs (root)
deps:
	$(S)/deps.sh

## make tree        build/linux = pinned base + patches/ (git am)
tree:
	$(S)/tree.sh

## make export      rewrite patches/ from build/linux base..HEAD
export:
	$(S)/export.sh

## make kernel      bzImage in build/obj/kernel
kernel:
	$(S)/build-kernel.sh

## make selftests   static KVM selftests of build/linux
selftests:
	$(S)/build-selftests.sh

## make initramfs   busybox + selftests + demo VMM initramfs
initramfs:
	$(S)/build-initramfs.sh

## make vm-test T="x86_64/sync_regs_test ..."   boot and run just these tests
vm-test:
	$(S)/run-vm.sh -n vm-test -t $(TIMEOUT) $(T)

## make regression  tests/regression.list in the VM
regression:
	$(S)/run-vm.sh -n regression -t $(TIMEOUT) -f tests/regression.list

## make planes-tests  tests/planes.list in the VM (a skip fails)
planes-tests:
	$(S)/run-vm.sh -n planes -t $(TIMEOUT) -r tests/planes.list

## make stress     the plane fuzzer, STRESS_OPS (1000000) operations, debug kernel
STRESS_OPS ?= 1000000
stress:
	$(S)/run-vm.sh -n stress -t $$(( $(STRESS_OPS) / 200 + 300 )) \
		-a "PLANE_FUZZ_OPS=$(STRESS_OPS)" x86_64/plane_fuzz_test

## make checkpatch | sparse | docs | unit   one check of make check
checkpatch:
	$(S)/check-checkpatch.sh

sparse:
	$(S)/check-warnings.sh sparse

docs:
	$(S)/check-warnings.sh docs

## make demo-vmm    build the demo VMM (demo/*.c)
demo-vmm:
	$(S)/build-demo.sh

unit:
	python3 -m unittest discover -s $(S)/tests -p 'test_*.py'

## make cross      compile arch/*/kvm for arm64 riscv s390 powerpc mips (ARCHS=...)
cross:
	$(S)/cross-build.sh

## make distro     KVM modules with Debian's amd64, cloud-amd64 and rt configs (CONFIGS=...)
distro:
	$(S)/distro-build.sh

## make bisect      every commit of the series compiles on its own (x86 KVM, selftests)
bisect:
	$(S)/check-bisect.sh

## make baseline    record base warning lists and run every selftest on the base
baseline:
	$(S)/baseline.sh

## make bench       A/B base vs series under QEMU -icount: build/bench/results.txt
##                  (FRAGMENTS="config/kvm-host.config config/debug.config": debug A/B)
## make bench-kernels | bench-vmm | bench-run | bench-table   its steps
# Niced: under -icount the figures do not depend on the host's load.
bench:
	nice -n 10 $(S)/bench.sh all

bench-kernels bench-vmm bench-run bench-table:
	nice -n 10 $(S)/bench.sh $(@:bench-%=%)

## make insn-trace  one hot path single-stepped under gdb: instructions per function
##                   (KERNEL=base|series HOTPATH=io|cpuid|vtl; needs the bench kernels)
insn-trace:
	$(S)/insn-trace.sh $(or $(KERNEL),series) $(or $(HOTPATH),io)

## make check       everything; ends with "N passed, N failed"
check:
	$(S)/check.sh

## make demo        fresh machine to a booted patched kernel showing planes
demo:
	$(S)/demo.sh
