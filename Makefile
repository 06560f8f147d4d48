# SPDX-License-Identifier: GPL-2.0
#
# kedr_sample: build, lab, tests.
#
#   make                  build kedr_sample.ko and the sample targets against
#                         KDIR (default: the running kernel's headers)
#   make demo             build, boot the lab, run the cfake scenario and
#                         the fat one, print what kedr_sample produced
#   make check            build everything and run every test under prove
#   make doc              render the walkthrough (with output captured in the lab)
#                         to build/doc/walkthrough.html
#   make corpus-check     the decoder against objdump and Capstone on all of
#                         the lab kernel's modules (long)
#   make bench-decode     decoding speed, ours and Capstone's, side by side
#   make bench            what instrumentation costs (lab and user space),
#                         ratios measured side by side: build/bench/results.md
#   make sweep            load, instrumented, every fs, lib, crypto and block
#                         module of the lab kernel (about 6 minutes)
#   make emitter-corpus-check  instrument every function of the corpus in
#                         user space and check every instance (long)
#   make clean            remove what the build made
#
# The lab (tests/vm/) boots Debian's own kernel under QEMU; `make demo` and
# `make check` build against that kernel's headers, never the host's, into
# build/mod/<kernel version>/ (a mirror of the sources made of symlinks to
# the files: kbuild writes its objects beside the sources), so that builds
# for several kernels live side by side.  LAB_KERNEL picks the series:
#
#   LAB_KERNEL=6.1        Debian 12's kernel (the default)
#   LAB_KERNEL=6.12       Debian 13's, as Debian 12 gets it (bookworm-backports)
#   LAB_KERNEL=6.1-rt     Debian 12's PREEMPT_RT flavour
#
# for every lab target: demo, check, doc, sweep, bench, lab-modules, the
# corpus checks.  `make check` without LAB_KERNEL runs the tests on all
# three (tests/check-kernels says which tests on which kernel).

ifneq ($(KERNELRELEASE),)
# ---- kbuild part: read by the kernel's build system -----------------------
obj-m := kedr_sample.o
# KEDR_SAMPLE_ONLY=1: kedr_sample.ko alone, e.g. in a directory of symlinks
# to kedr_sample.c, insn_tables.h and this Makefile (tests/06-failures.t)
ifeq ($(KEDR_SAMPLE_ONLY),)
obj-m += sample_target/
obj-m += tests/modules/
endif
ccflags-y := -Werror
# The area for the instances, in bytes, or with a K or M suffix (e.g.
# make KEDR_AREA_SIZE=16M); kedr_sample.c has the default and says why.
ifneq ($(KEDR_AREA_SIZE),)
KEDR_AREA_BYTES := $(shell numfmt --from=iec $(KEDR_AREA_SIZE) 2>/dev/null)
ifeq ($(KEDR_AREA_BYTES),)
$(error KEDR_AREA_SIZE=$(KEDR_AREA_SIZE): give bytes, or a number and K or M)
endif
ccflags-y += -DKEDR_AREA_SIZE=$(KEDR_AREA_BYTES)
endif

else
# ---- the ordinary part ----------------------------------------------------
KDIR ?= /lib/modules/$(shell uname -r)/build
TOP := $(abspath .)
# make check: every kernel unless LAB_KERNEL names one
ifeq ($(origin LAB_KERNEL),undefined)
CHECK_KERNELS ?= 6.1 6.12 6.1-rt
else
CHECK_KERNELS ?= $(LAB_KERNEL)
endif
LAB_KERNEL ?= 6.1
export LAB_KERNEL
# (read once tests/vm/setup, a prerequisite of lab-modules, has written it)
LAB_KVER = $(shell cat $(TOP)/build/lab/$(LAB_KERNEL)/kernel-version)
LAB_KDIR = /lib/modules/$(LAB_KVER)/build
LAB_MODDIR = $(TOP)/build/mod/$(LAB_KVER)
# what kbuild reads to build the modules (mirrored into LAB_MODDIR; not
# the *.mod.c that an in-tree build leaves: kbuild writes its own)
MOD_SRCS = $(filter-out %.mod.c,$(patsubst $(TOP)/%,%,$(wildcard $(TOP)/Makefile \
	$(TOP)/*.c $(TOP)/*.h $(TOP)/sample_target/Kbuild $(TOP)/sample_target/*.[chS] \
	$(TOP)/tests/modules/Kbuild $(TOP)/tests/modules/*.[chS])))

.PHONY: all modules clean lab lab-modules check demo sweep

all: modules

# Host-side tools: the decoder's tests and tools, guest helper programs
include $(TOP)/tests/decoder.mk
include $(TOP)/tests/guest.mk
include $(TOP)/doc/doc.mk
include $(TOP)/tests/engine.mk
include $(TOP)/tests/bench.mk

modules:
	@test -f $(KDIR)/Makefile || { echo "no kernel headers in $(KDIR):" \
		"install them or give KDIR=/lib/modules/<version>/build" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules

# Install what the lab needs (once) and pick the kernel it boots.
lab:
	@$(TOP)/tests/vm/setup

# Build the modules against the headers of the kernel the lab boots, in
# build/mod/<version>/: a tree of symlinks to the source files (made afresh:
# a file removed from the sources goes from the mirror too).
lab-modules: lab
	@test -f $(LAB_KDIR)/Makefile || { echo "no kernel headers in $(LAB_KDIR)" >&2; exit 1; }
	@mkdir -p $(LAB_MODDIR)
	@find $(LAB_MODDIR) -type l -delete
	@cd $(TOP) && for f in $(MOD_SRCS); do \
		mkdir -p $(LAB_MODDIR)/$$(dirname $$f) && ln -s $(TOP)/$$f $(LAB_MODDIR)/$$f || exit 1; \
	done
	$(MAKE) -C $(LAB_KDIR) M=$(LAB_MODDIR) modules

# The modules for each kernel, then one prove run over all of them
# (tests/check: which tests run on which kernel); prove's summary ends it.
check: lab host-tools guest-tools engine-tools
	@for k in $(CHECK_KERNELS); do \
		$(MAKE) --no-print-directory -s lab-modules LAB_KERNEL=$$k || exit 1; \
		LAB_KERNEL=$$k $(TOP)/tests/vm/corpus >/dev/null || exit 1; \
	done
	$(TOP)/tests/check $(CHECK_KERNELS)

# Every fs, lib, crypto and block module of the lab kernel, instrumented
# (long: about 6 minutes); the table goes to build/sweep/<series>/report.txt
sweep: lab-modules
	$(TOP)/tests/sweep/run

demo: lab-modules
	@$(TOP)/tests/vm/run --timeout 300 --modules "vfat loop nls_cp437 nls_ascii" $(TOP)/tests/demo.sh

clean:
	-[ -d $(KDIR) ] && $(MAKE) -C $(KDIR) M=$(TOP) clean
	rm -rf $(TOP)/build
	find $(TOP) \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name '*.order' \
		-o -name '*.symvers' \) -not -path '*/.git/*' -delete

endif
