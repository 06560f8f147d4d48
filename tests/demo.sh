#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/demo.sh: the scenarios of `make demo`, run in the lab.
#
# 1. cfake: kedr_sample waits for the sample target; the target is loaded,
#    used through /dev/cfake0 (open, write, read, release) and unloaded;
#    then we print what kedr_sample logged and what it recorded.
# 2. fat, a real Debian module, under a FAT file system on a loop device:
#    kedr_sample starts with recording off, and the switch is turned on
#    just around one write(2) to a file, so that the trace is the FAT
#    write path and not the module's init and the mount. (doc/capture.py
#    shows this part of the output in the walkthrough: from the line
#    "### 2. fat" on.)

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
rmmod kedr_sample || exit 1

R=/sys/kernel/debug/kedr_sample/recording
echo "### 2. fat: recording only around one write"
echo "### insmod kedr_sample.ko target_name=fat recording=0"
insmod kedr_sample.ko target_name=fat recording=0 || exit 1
echo "### modprobe vfat; mkdosfs; losetup; mount -t vfat /dev/loop0 /mnt"
modprobe vfat || exit 1
dd if=/dev/zero of=/lab/fat.img bs=1M count=8 2>/dev/null
mkdosfs /lab/fat.img >/dev/null || exit 1
modprobe loop && losetup /dev/loop0 /lab/fat.img || exit 1
mkdir -p /mnt && mount -t vfat /dev/loop0 /mnt || exit 1
echo "### exec 3>/mnt/hello.txt		# open (and create) the file"
exec 3>/mnt/hello.txt
echo "### echo 1 > $R"
echo 1 > $R
echo "### echo hello >&3			# one write(2) of 6 bytes"
echo hello >&3
echo "### echo 0 > $R"
echo 0 > $R
echo "### exec 3>&-; umount /mnt; losetup -d /dev/loop0; rmmod vfat fat"
exec 3>&-
umount /mnt && losetup -d /dev/loop0 && rmmod vfat fat || exit 1
echo "### cat /sys/kernel/debug/kedr_sample/output"
cat /sys/kernel/debug/kedr_sample/output
echo "### rmmod kedr_sample"
rmmod kedr_sample
