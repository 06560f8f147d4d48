#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# doc/capture-big.sh: what `make doc` runs in the lab to show a target too
# big for the area (doc/capture.py runs it with --mem 2048 --modules amdgpu
# and cuts the output into build/doc/captures/): amdgpu, the largest module
# Debian ships, under kedr_sample as built (the default area unless built
# otherwise). Captures, each between "=== capture NAME ===" and
# "=== end NAME ===":
#
#   big-log        the [sample] lines of the load
#   big-functions  the first 3 functions of kedr_sample/functions that have
#                  an instance and the first 3 that found no room

cd /lab || exit 1
F=/sys/kernel/debug/kedr_sample/functions
begin() { echo "=== capture $1 ==="; }
end() { echo "=== end $1 ==="; }
fail() { echo "=== failed: $* ==="; exit 1; }

begin kernel; uname -r; end kernel
insmod kedr_sample.ko target_name=amdgpu || fail "insmod kedr_sample.ko target_name=amdgpu"
modprobe amdgpu || fail "modprobe amdgpu"
begin big-log; dmesg | grep '\[sample\]' | sed 's/^\[ *[0-9.]*\] //'; end big-log
begin big-functions; grep -m3 ' instance ' $F; grep -m3 'no room' $F; end big-functions
rmmod amdgpu || fail "rmmod amdgpu"
rmmod kedr_sample || fail "rmmod kedr_sample"
exit 0
