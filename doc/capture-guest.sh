#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# doc/capture-guest.sh: what `make doc` runs in the lab to capture the
# walkthrough's real output (doc/capture.py runs it and cuts the output
# into build/doc/captures/). Each capture is printed between the lines
# "=== capture NAME ===" and "=== end NAME ===".
#
#   1. The sample target alone: the bytes of FUNC as the kernel left them
#      (read from /proc/kcore with kcore_read).
#   2. kedr_sample with dyndbg=+p, then the target: FUNC's bytes again
#      (now a jmp and int3), the bytes of its instance, the symbols needed
#      to name call targets.
#   3. The cfake scenario: write 5 bytes, read them back, unload; the
#      [sample] log lines and the trace.
#
# /lab/files/doc-params holds "FUNC SIZE" (SIZE from the symbol table of
# the .ko on the host) and /lab/files/doc-ksyms the kernel symbols FUNC
# refers to (one name a line).

cd /lab || exit 1
kr=/lab/files/kcore_read
read -r FUNC SIZE < /lab/files/doc-params || exit 1

session=/lab/session.log	# the commands of the session, and their output
say() { echo "# $*" >> $session; }
begin() { echo "=== capture $1 ==="; }
end() { echo "=== end $1 ==="; }
fail() { echo "=== failed: $* ==="; exit 1; }

begin kernel; uname -r; end kernel

# ---- 1. the target alone ------------------------------------------------
insmod kedr_sample_target.ko || fail "insmod kedr_sample_target.ko (alone)"
addr=$(awk -v f="$FUNC" '$3 == f && $4 == "[kedr_sample_target]" { print $1 }' /proc/kallsyms)
[ -n "$addr" ] || fail "$FUNC is not in /proc/kallsyms"
begin before; echo "addr 0x$addr size $SIZE"; $kr "$addr" "$SIZE" || fail "kcore_read (before)"; end before
rmmod kedr_sample_target || fail "rmmod kedr_sample_target (alone)"

# ---- 2. instrumented ----------------------------------------------------
dmesg -c > /dev/null
say insmod kedr_sample.ko target_name=kedr_sample_target num_records=4096 dyndbg=+p
insmod kedr_sample.ko target_name=kedr_sample_target num_records=4096 dyndbg=+p >> $session 2>&1 ||
	fail "insmod kedr_sample.ko"
say insmod kedr_sample_target.ko
insmod kedr_sample_target.ko >> $session 2>&1 || fail "insmod kedr_sample_target.ko (instrumented)"
# [sample] function cfake_open at 0xffffffffc0453270, 77 bytes, core, ftrace nop; instance at 0x..., 186 bytes
line=$(dmesg | grep "\[sample\] function $FUNC at " | head -1)
[ -n "$line" ] || fail "no dyndbg line for $FUNC"
addr=$(echo "$line" | sed -n "s/.*function $FUNC at 0x\([0-9a-f]*\), .*/\1/p")
size=$(echo "$line" | sed -n "s/.*function $FUNC at 0x[0-9a-f]*, \([0-9]*\) bytes.*/\1/p")
inst=$(echo "$line" | sed -n 's/.*instance at 0x\([0-9a-f]*\), .*/\1/p')
isize=$(echo "$line" | sed -n 's/.*instance at 0x[0-9a-f]*, \([0-9]*\) bytes.*/\1/p')
[ -n "$inst" ] && [ "$isize" -gt 0 ] 2>/dev/null || fail "$FUNC has no instance: $line"
begin after; echo "addr 0x$addr size $size"; $kr "$addr" "$size" || fail "kcore_read (after)"; end after
begin instance; echo "addr 0x$inst size $isize"; $kr "$inst" "$isize" || fail "kcore_read (instance)"; end instance
begin symbols
awk '$4 == "[kedr_sample]" || $4 == "[kedr_sample_target]"' /proc/kallsyms
while read -r s; do
	awk -v s="$s" 'NF == 3 && $3 == s' /proc/kallsyms
done < /lab/files/doc-ksyms
end symbols

# ---- 3. the cfake scenario ----------------------------------------------
say 'printf hello > /dev/cfake0'
printf hello > /dev/cfake0 || fail "write /dev/cfake0"
say 'dd if=/dev/cfake0 bs=5 count=1 2>/dev/null; echo'
{ dd if=/dev/cfake0 bs=5 count=1 2>/dev/null; echo; } >> $session || fail "read /dev/cfake0"
say rmmod kedr_sample_target
rmmod kedr_sample_target >> $session 2>&1 || fail "rmmod kedr_sample_target"
begin session; cat $session; end session
begin log; dmesg | grep '\[sample\]' | sed 's/^\[ *[0-9.]*\] //'; end log
begin trace; cat /sys/kernel/debug/kedr_sample/output; end trace
rmmod kedr_sample || fail "rmmod kedr_sample"
exit 0
