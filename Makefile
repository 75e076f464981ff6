# The VM planes series: build, boot and test it. See README.md.
# Every step runs on its own; 'make check' and 'make demo' run them in order.

SHELL := /bin/bash
S := scripts
T ?=
TIMEOUT ?= 150

.PHONY: help deps tree export kernel selftests initramfs vm-test regression \
	planes-tests checkpatch sparse docs unit baseline check demo

help:
	@sed -n 's/^## //p' README.md 2>/dev/null || true
	@echo "targets: demo check tree export kernel selftests initramfs vm-test T=... regression"
	@echo "         planes-tests checkpatch sparse docs unit baseline deps"

## make deps        install the Debian packages everything needs (root)
deps:
	$(S)/deps.sh

## make tree        build/linux = pinned base + patches/ (git am)
tree:
	$(S)/tree.sh

## make export      rewrite patches/ from build/linux base..HEAD
export:
	$(S)/export.sh

## make kernel      bzImage in build/obj/kernel (KASAN=1: build/obj/kernel-kasan)
kernel:
	$(S)/build-kernel.sh

selftests:
	$(S)/build-selftests.sh

initramfs:
	$(S)/build-initramfs.sh

## make vm-test T="x86_64/sync_regs_test ..."   boot and run just these tests
vm-test:
	$(S)/run-vm.sh -n vm-test -t $(TIMEOUT) $(if $(KASAN),-K) $(T)

regression:
	$(S)/run-vm.sh -n regression -t $(TIMEOUT) -f tests/regression.list

planes-tests:
	$(S)/run-vm.sh -n planes -t $(TIMEOUT) $(if $(KASAN),-K) -f tests/planes.list

checkpatch:
	$(S)/check-checkpatch.sh

sparse:
	$(S)/check-warnings.sh sparse

docs:
	$(S)/check-warnings.sh docs

unit:
	python3 -m unittest discover -s $(S)/tests -p 'test_*.py'

## make baseline    record base warning lists and run every selftest on the base
baseline:
	$(S)/baseline.sh

## make check       everything; ends with "N passed, N failed"
check:
	$(S)/check.sh

## make demo        fresh machine to a booted patched kernel showing planes
demo:
	$(S)/demo.sh
