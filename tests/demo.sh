#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/demo.sh: the cfake scenario, run in the lab by `make demo`.
# kedr_sample waits for the sample target; the target is loaded, used
# through /dev/cfake0 (open, write, read, release) and unloaded; then we
# print what kedr_sample logged and what it recorded.

cd /lab || exit 1
echo "### insmod kedr_sample.ko target_name=kedr_sample_target"
insmod kedr_sample.ko target_name=kedr_sample_target || exit 1
echo "### insmod kedr_sample_target.ko"
insmod kedr_sample_target.ko || exit 1
echo "### echo hello > /dev/cfake0; dd if=/dev/cfake0 bs=5 count=1"
echo hello > /dev/cfake0
dd if=/dev/cfake0 bs=5 count=1 2>/dev/null; echo
echo "### rmmod kedr_sample_target"
rmmod kedr_sample_target || exit 1
echo "### dmesg | grep '\[sample\]'"
dmesg | grep '\[sample\]'
echo "### cat /sys/kernel/debug/kedr_sample/output"
cat /sys/kernel/debug/kedr_sample/output
echo "### rmmod kedr_sample"
rmmod kedr_sample
