# SPDX-License-Identifier: GPL-2.0
#
# doc/doc.mk - the walkthrough, build/doc/walkthrough.html. Included by the
# top Makefile; also usable alone: make -f doc/doc.mk doc | doc-check
#
#   doc        build the modules for the lab, boot the lab once to capture
#              real output (doc/capture.py --lab), then render the page
#   doc-check  fast, no lab: render the page with the captures there are
#              (placeholders for the others); fails if a marker, function
#              or DOC title the page names is missing from the sources
#
# The page is doc/walkthrough.md run through pandoc with doc/snippets.lua,
# which pulls code (by marker), essays (by DOC title) and captures (from
# build/doc/captures/) into it. One self-contained HTML file: pandoc 2.17
# (Debian 12) has --self-contained, not --embed-resources.

DOC_TOP ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
DOC_BUILD := $(DOC_TOP)/build/doc
DOC_DIR := $(DOC_TOP)/doc

# Where snippets.lua looks for markers and DOC blocks, in this order
DOC_SOURCES = kedr_sample.c insn_tables.h \
	$(filter-out %.mod.c,$(patsubst $(DOC_TOP)/%,%,$(wildcard \
		$(DOC_TOP)/sample_target/*.c $(DOC_TOP)/sample_target/*.S)))

# What is rendered, from where, to where (tests/50-doc.t changes them)
DOC_MD ?= $(DOC_DIR)/walkthrough.md
DOC_HTML ?= $(DOC_BUILD)/walkthrough.html
DOC_SRC_TOP ?= $(DOC_TOP)
DOC_CAPTURES ?= $(DOC_BUILD)/captures

DOC_PANDOC = cd $(DOC_TOP) && KEDR_DOC_TOP=$(DOC_SRC_TOP) KEDR_DOC_SOURCES="$(DOC_SOURCES)" \
	KEDR_DOC_CAPTURES=$(DOC_CAPTURES) \
	pandoc -s --self-contained --wrap=none --toc --toc-depth=2 --number-sections \
	--lua-filter=$(DOC_DIR)/snippets.lua --css=$(DOC_DIR)/walkthrough.css \
	--resource-path=$(DOC_BUILD):$(DOC_DIR) --highlight-style=tango

.PHONY: doc doc-check doc-setup doc-captures doc-host-captures doc-render

doc-setup:
	@$(DOC_DIR)/setup

# Things the captures need: the modules built for the lab kernel, the guest
# helper that reads /proc/kcore, the decoder as a host tool; and the same
# modules for 6.12, for the chapter "What 6.12 changed" (NAME-6.12).
doc-captures: doc-setup
	$(MAKE) -C $(DOC_TOP) lab-modules
	$(MAKE) -f $(DOC_TOP)/tests/guest.mk guest-tools
	$(MAKE) -f $(DOC_TOP)/tests/decoder.mk $(DOC_TOP)/build/decoder/insn-dump
	python3 $(DOC_DIR)/capture.py --host --lab || \
		echo "doc: some captures could not be made; the page says which" >&2
	$(MAKE) -C $(DOC_TOP) lab-modules LAB_KERNEL=6.12
	python3 $(DOC_DIR)/capture.py --lab --kernel 6.12 || \
		echo "doc: some 6.12 captures could not be made; the page says which" >&2

# Without the lab: only what the host can see, and only if it was built.
doc-host-captures: doc-setup
	-@$(MAKE) -s -f $(DOC_TOP)/tests/decoder.mk $(DOC_TOP)/build/decoder/insn-dump
	@python3 $(DOC_DIR)/capture.py --host

$(DOC_BUILD)/big-picture.svg: $(DOC_DIR)/big-picture.dot | doc-setup
	@mkdir -p $(DOC_BUILD)
	dot -Tsvg $< -o $@

doc-render: $(DOC_BUILD)/big-picture.svg
	$(DOC_PANDOC) -o $(DOC_HTML) $(DOC_MD)
	@echo "doc: $(DOC_HTML)"

doc: doc-captures
	$(MAKE) -f $(DOC_DIR)/doc.mk doc-render

doc-check: doc-host-captures
	$(MAKE) -s -f $(DOC_DIR)/doc.mk doc-render
