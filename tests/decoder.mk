# SPDX-License-Identifier: GPL-2.0
#
# tests/decoder.mk - host-side build and proof of kedr_sample's decoder.
# Included by the top Makefile; also usable alone:
#   make -f tests/decoder.mk host-tools | corpus-check | bench-decode | fuzz-decode
#
# The decoder is the region between the lines /* [snippet:decoder] */ and
# /* [/snippet:decoder] */ of $(DECODER_SRC), cut out with sed and compiled
# unchanged with tests/decoder/kshim.h providing the kernel's types.

DEC_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
DEC_BUILD := $(DEC_TOP)/build/decoder
DEC_DIR := $(DEC_TOP)/tests/decoder

# the file that holds the decoder's region (another one can be given, to
# try a change to the decoder on its own)
DECODER_SRC ?= $(DEC_TOP)/kedr_sample.c

# The corpus: CORPUS if given, else the Debian modules of the kernel the lab
# boots (LAB_KERNEL), as plain .ko files (tests/vm/corpus decompresses
# 6.12's .ko.xz once into build/corpus/<version>/).
CORPUS ?=
DEC_CORPUS = corpus='$(CORPUS)'; [ -n "$$corpus" ] || corpus=$$($(DEC_TOP)/tests/vm/corpus) || exit 1; \
	echo "corpus: $$corpus"
DEC_JOBS ?= 2
FUZZ_COUNT ?= 1000000
FUZZ_SEED ?= 20261127

DEC_CC ?= gcc
DEC_WARN := -std=gnu11 -Wall -Wextra -Wdeclaration-after-statement -Wvla -Werror
DEC_CFLAGS := $(DEC_WARN) -O2 -I$(DEC_TOP) -I$(DEC_DIR) -I$(DEC_BUILD)
DEC_GEN := $(DEC_BUILD)/decoder_gen.c
DEC_DEPS := $(DEC_GEN) $(DEC_TOP)/insn_tables.h $(DEC_DIR)/kshim.h $(DEC_DIR)/decoder.h \
	    $(DEC_DIR)/kofile.h

.PHONY: host-tools corpus-check bench-decode fuzz-decode

host-tools: $(DEC_BUILD)/insn-dump $(DEC_BUILD)/cs-compare $(DEC_BUILD)/fuzz-decode

# Always re-extract: cheap, and DECODER_SRC may change between runs.
$(DEC_GEN): FORCE
	@mkdir -p $(DEC_BUILD)
	@sed -n '/\[snippet:decoder\]/,/\[\/snippet:decoder\]/p' $(DECODER_SRC) > $@.tmp
	@test -s $@.tmp || { echo "no [snippet:decoder] region in $(DECODER_SRC)" >&2; rm -f $@.tmp; exit 1; }
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

FORCE:

$(DEC_BUILD)/insn-dump: $(DEC_DIR)/insn-dump.c $(DEC_DEPS)
	$(DEC_CC) $(DEC_CFLAGS) -o $@ $<

$(DEC_BUILD)/cs-compare: $(DEC_DIR)/cs-compare.c $(DEC_DEPS)
	$(DEC_CC) $(DEC_CFLAGS) -o $@ $< -lcapstone

$(DEC_BUILD)/bench-decode: $(DEC_DIR)/bench-decode.c $(DEC_DEPS)
	$(DEC_CC) $(DEC_CFLAGS) -O3 -o $@ $< -lcapstone

# AddressSanitizer + UBSan build for the fuzzer
$(DEC_BUILD)/fuzz-decode: $(DEC_DIR)/fuzz-decode.c $(DEC_DEPS)
	$(DEC_CC) $(DEC_CFLAGS) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -o $@ $<

corpus-check: $(DEC_BUILD)/insn-dump $(DEC_BUILD)/cs-compare
	@$(DEC_CORPUS); \
	nice python3 $(DEC_DIR)/compare-objdump.py --jobs $(DEC_JOBS) --dump $(DEC_BUILD)/insn-dump "$$corpus" && \
	nice $(DEC_BUILD)/cs-compare -k $(DEC_DIR)/cs-known.txt "$$corpus"

bench-decode: $(DEC_BUILD)/bench-decode
	@$(DEC_CORPUS); $(DEC_BUILD)/bench-decode "$$corpus"

fuzz-decode: $(DEC_BUILD)/fuzz-decode
	$(DEC_BUILD)/fuzz-decode $(FUZZ_COUNT) $(FUZZ_SEED)
