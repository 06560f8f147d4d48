# SPDX-License-Identifier: GPL-2.0
#
# kedr_sample: build, lab, tests.
#
#   make                  build kedr_sample.ko and the sample targets against
#                         KDIR (default: the running kernel's headers)
#   make demo             build, boot the lab, run the cfake scenario, print
#                         what kedr_sample produced
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
# `make check` build against that kernel's headers, never the host's.

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
LAB_KVER_FILE := $(TOP)/build/lab/kernel-version
LAB_KDIR = /lib/modules/$(shell cat $(LAB_KVER_FILE))/build

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

# Build the modules against the headers of the kernel the lab boots.
lab-modules: lab
	$(MAKE) -C $(LAB_KDIR) M=$(TOP) modules

check: lab-modules host-tools guest-tools engine-tools
	prove --timer $(TOP)/tests/*.t

# Every fs, lib, crypto and block module of the lab kernel, instrumented
# (long: about 6 minutes); the table goes to build/sweep/report.txt
sweep: lab-modules
	$(TOP)/tests/sweep/run

demo: lab-modules
	@$(TOP)/tests/vm/run --timeout 300 $(TOP)/tests/demo.sh

clean:
	-[ -d $(KDIR) ] && $(MAKE) -C $(KDIR) M=$(TOP) clean
	rm -rf $(TOP)/build
	find $(TOP) \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name '*.order' \
		-o -name '*.symvers' \) -not -path '*/.git/*' -delete

endif
