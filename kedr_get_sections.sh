#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kedr_get_sections.sh - print the addresses of the ELF sections of a loaded
# kernel module, one "ADDRESS NAME" line per section, sorted by address:
#
#   # sh kedr_get_sections.sh kedr_sample_target
#   0xffffffffc0350000 .text
#   0xffffffffc0351000 .exit.text
#   ...
#
# The kernel publishes them in /sys/module/NAME/sections/ (readable by root
# only; others see zeros). KEDR's sample of 2011 needed this script to learn
# where the target's code was. In Linux 6.1 that directory is created only
# after the module notifier's MODULE_STATE_COMING, too late for kedr_sample,
# which reads the module's symbol table instead (see kedr_sample.c, part 9).
# The script stays as a tool: the tests use it to cross-check what
# kedr_sample saw.
#
# Exit status: 0, 1 if the module is not loaded, 2 on a usage error.

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 MODULE_NAME" >&2
	exit 2
fi
# Module names use '_' where the file name may have '-'.
name=$(echo "$1" | tr '-' '_')
dir=/sys/module/$name/sections
if [ ! -d "$dir" ]; then
	echo "$0: module \"$name\" is not loaded (no $dir)" >&2
	exit 1
fi
for f in "$dir"/.* "$dir"/*; do
	[ -f "$f" ] || continue
	printf '%s %s\n' "$(cat "$f")" "${f##*/}"
done | sort
