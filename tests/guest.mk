# SPDX-License-Identifier: GPL-2.0
#
# tests/guest.mk - helper programs for guest scripts, built statically on the
# host (the guest has only busybox). Included by the top Makefile.

GUEST_TOP ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
GUEST_BUILD := $(GUEST_TOP)/build/guest

.PHONY: guest-tools
guest-tools: $(GUEST_BUILD)/fileops $(GUEST_BUILD)/kcore_read

$(GUEST_BUILD)/%: $(GUEST_TOP)/tests/guest/%.c
	@mkdir -p $(GUEST_BUILD)
	gcc -static -O2 -Wall -Wextra -Werror -o $@ $<
