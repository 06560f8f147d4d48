# SPDX-License-Identifier: GPL-2.0
#
# tests/engine.mk - kedr_sample's instrumentation engine in user space.
# Included by the top Makefile; also usable alone:
#   make -f tests/engine.mk engine-tools | emitter-corpus-check
#
# The tool build/engine/engine is built from the sources, cut out with sed
# and compiled unchanged:
#   [snippet:decoder]  of $(DECODER_SRC) (as tests/decoder.mk does)
#   every block between "/* [engine] */" and "/* [/engine] */" of
#   kedr_sample.c, in the order of the file (the markers sit where the
#   story puts the code; they only say what runs in user space too)
# with tests/engine/eshim.h providing the few kernel things they use.
# It loads a .ko into one arena, relocates it, instruments every function
# as kedr_sample would, and checks every instance instruction by instruction
# (see tests/engine/engine.c).

ENG_TOP ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
ENG_BUILD ?= $(ENG_TOP)/build/engine
ENG_DIR := $(ENG_TOP)/tests/engine
ENG_MAIN_SRC ?= $(ENG_TOP)/kedr_sample.c

# the file that holds the decoder's region, kedr_sample.c unless given
ENG_DECODER_SRC ?= $(ENG_TOP)/kedr_sample.c

# The corpus: ENG_CORPUS if given, else the Debian modules of the kernel the
# lab boots (LAB_KERNEL), as plain .ko files (tests/vm/corpus)
ENG_CORPUS ?=
ENG_CC ?= gcc
# NB: -no-pie: the binary sits at 0x400000 and the arena right above it, so
# kedr_event_stub (a function of the tool) is within rel32 reach of the code
ENG_CFLAGS := -std=gnu11 -Wall -Wextra -Wdeclaration-after-statement -Wvla -Werror \
	      -O2 -g -fno-pie -no-pie -I$(ENG_TOP) -I$(ENG_TOP)/tests/decoder -I$(ENG_DIR) -I$(ENG_BUILD)
ENG_REGIONS := decoder engine
ENG_GEN := $(foreach r,$(ENG_REGIONS),$(ENG_BUILD)/$(r)_gen.c)
ENG_DEPS := $(ENG_GEN) $(ENG_TOP)/insn_tables.h $(ENG_TOP)/tests/decoder/kshim.h \
	    $(ENG_DIR)/eshim.h $(ENG_DIR)/engine.h

.PHONY: engine-tools emitter-corpus-check ENG_FORCE

engine-tools: $(ENG_BUILD)/engine

# Always re-extract (cheap); rewrite only what changed.
# $(call eng_extract,name,source,begin marker,end marker)
define eng_extract
$(ENG_BUILD)/$(1)_gen.c: ENG_FORCE
	@mkdir -p $(ENG_BUILD)
	@sed -n '/$(3)/,/$(4)/p' $(2) > $$@.tmp
	@test -s $$@.tmp || { echo "no $(1) region in $(2)" >&2; rm -f $$@.tmp; exit 1; }
	@cmp -s $$@.tmp $$@ && rm -f $$@.tmp || mv $$@.tmp $$@
endef
$(eval $(call eng_extract,decoder,$(ENG_DECODER_SRC),\[snippet:decoder\],\[\/snippet:decoder\]))
$(eval $(call eng_extract,engine,$(ENG_MAIN_SRC),\/\* \[engine\] \*\/,\/\* \[\/engine\] \*\/))

ENG_FORCE:

$(ENG_BUILD)/engine: $(ENG_DIR)/engine.c $(ENG_DEPS)
	$(ENG_CC) $(ENG_CFLAGS) -o $@ $< -lcapstone

# The whole corpus: every function decoded, planned, emitted and checked,
# with fast=1 and with fast=0
emitter-corpus-check: $(ENG_BUILD)/engine
	@corpus='$(ENG_CORPUS)'; [ -n "$$corpus" ] || corpus=$$($(ENG_TOP)/tests/vm/corpus) || exit 1; \
	echo "corpus: $$corpus"; nice $(ENG_BUILD)/engine check "$$corpus" && \
	nice $(ENG_BUILD)/engine check -f 0 "$$corpus"
