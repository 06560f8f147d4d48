#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/30-mechanisms.t: kernel mechanisms that keep addresses of a
# module's code keep working when the module runs instrumented.
#
# The target is kedr_mech_target (sample_target/mech_target.c): one
# function per mechanism, run from a debugfs file. For each mechanism the
# test checks the behaviour (the expected values come from the C source),
# that kedr_sample recorded the function's entries and the accesses to the
# variable it writes (counts derived from the script and the source), and
# that the function was not left alone:
#
#   uaccess   unsafe_get_user()/unsafe_put_user() on a bad pointer: -EFAULT
#             through this module's __ex_table, no oops;
#   key       a static key flipped both ways, three times, in a function
#             whose "on" code is inline and in one where it is in .cold;
#   call      a static call retargeted four times, called and tail-called,
#             and the preemption mode (static calls all over the kernel,
#             cond_resched() in the target) switched while it runs;
#   dbg       a pr_debug() switched on and off with dynamic debug;
#   cold      an error path in mech_cold.cold, entered and left;
#   defer     a timer and a tasklet (softirq), a work item (process);
#   warn      a WARN_ON() in the copy, its UD2 inline or in a .cold part:
#             the kernel warns (file and line of mech_target.c) and the
#             function carries on.
#
# Two lab runs, about a minute, each made with fast=1 and then with fast=0
# (the simple instrumenter): everything but the WARNs (must be clean),
# then the WARNs alone (tests/vm/run exits 125 for any WARNING, so that run
# is checked by hand: the only kernel problems are the two expected
# WARNINGs, and the guest script went on to its end).

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

src=$TAP_TOP/sample_target/mech_target.c
ko=$(lab_modbuild)/sample_target/kedr_mech_target.ko
ok "kedr_mech_target.ko is built (make lab-modules)" test -f "$ko" || {
	done_testing
}

# ---- the module really has what it is meant to test --------------------
sections=$(readelf -SW "$ko")
for s in __ex_table __bug_table __jump_table .static_call_sites; do
	like "$sections" " $s " "kedr_mech_target.ko has a $s section"
done
# readelf: "Relocation section '.rela__ex_table' ... entries:" then one line
# per relocation; its "Symbol's Name + Addend" is ".text + OFFSET".
# Two per entry: the instruction and its fixup.
exrel=$(readelf -rW "$ko" | sed -n "/'.rela__ex_table'/,/^\$/p" | awk '$5 == ".text" { print $7 }')
syms=$(nm "$ko")
# in_func NAME HEXOFF: is .text+HEXOFF inside function NAME?
in_func() {
	local start size

	read -r start size < <(nm -S "$ko" | awk -v n="$2" '$4 == n { print $1, $2 }')
	[ -n "$start" ] && (($((16#$1)) >= $((16#$start)) && $((16#$1)) < $((16#$start)) + $((16#$size))))
}
n_in=0
for off in $exrel; do
	if in_func "$off" mech_uaccess_write || in_func "$off" mech_uaccess_read; then
		n_in=$((n_in + 1))
	fi
done
is "$n_in" 4 "__ex_table: 2 entries (access and fixup) inside mech_uaccess_write/read"
for f in mech_cold mech_branch_cold mech_warn_cold; do
	like "$syms" " t $f\\.cold\$" "GCC made a .cold part: $f.cold"
done
like "$(objdump -d "$ko" | sed -n '/<mech_warn_cold.cold>:/,/^$/p' | sed -n 2p)" 'ud2' \
	"the UD2 of mech_warn_cold's WARN is in mech_warn_cold.cold"
warn_line=$(grep -n '^[[:space:]]*WARN_ON(.*/\* MECH_WARN_LINE \*/' "$src" | cut -d: -f1)
like "$warn_line" '^[0-9]+$' "the one WARN_ON line of mech_warn() is found ($warn_line)"
warn_cold_line=$(grep -n 'WARN_ON(.*/\* MECH_WARN_COLD_LINE \*/' "$src" | cut -d: -f1)
like "$warn_cold_line" '^[0-9]+$' "the one WARN_ON line of mech_warn_cold() is found ($warn_cold_line)"

# ---- fileops (tests/guest/fileops.c) passes a bad pointer to read/write -
make -s -C "$TAP_TOP" -f tests/guest.mk "$TAP_TOP/build/guest/fileops" >&2
ok "fileops (static guest helper) is built" test -x "$TAP_TOP/build/guest/fileops"

# ---- 1. everything but the WARN ------------------------------------------
for fast in 1 0; do	# the fast instrumenter, then the simple one
echo "$fast" >"$TAP_TMP/fast"
note "---- fast=$fast"
guest=$(lab_script mechanisms.sh <<'GUEST'
. /lab/tap.sh
D=/sys/kernel/debug/kedr_mech_target
O=/lab/output.txt
BAD=0x10	# fileops' bad pointer: in the first page, never mapped

# addr NAME, val NAME: the address, the current value of a variable of the target
addr() { awk -v n="$1" '$1 == n { print $2 }' /lab/vars.txt; }
val() { awk -v n="$1" '$1 == n { print $3 }' $D/vars; }
# ev KIND FUNC ADDR SIZE: KIND events at a pc in FUNC on ADDR, SIZE bytes
ev() {
	_pc="0x[0-9a-f]* ($2+0x[0-9a-f]*/0x[0-9a-f]* \[kedr_mech_target\])"
	grep -c "^TID=0x[0-9a-f]* $1 at $_pc: addr=$3, size=$4\$" $O
}
# calls entry|exit FUNC: how many entries or exits of FUNC
calls() { grep -c "^TID=0x[0-9a-f]* $1: addr=0x[0-9a-f]* (\"$2\")\$" $O; }

ok "insmod kedr_sample target_name=kedr_mech_target" \
	insmod /lab/kedr_sample.ko fast=$(cat /lab/files/fast) target_name=kedr_mech_target num_records=100000 || exit 1
ok "insmod kedr_mech_target" insmod /lab/kedr_mech_target.ko || exit 1
dmesg | grep '\[sample\]' >/lab/sample.log
diag_cmd grep -E 'instrumented|left alone' /lab/sample.log
cp $D/vars /lab/vars.txt

# uaccess: good pointers, then a bad one both ways
echo -n hello >$D/uaccess
is "$?" 0 "uaccess: write(\"hello\") succeeds"
is "$(cat $D/uaccess)" "hello" "uaccess: read() gives it back (unsafe_put_user)"
is "$(val mech_sum)" 532 "uaccess: the sum of the bytes fetched by unsafe_get_user is 532"
is "$(/lab/files/fileops badwrite $D/uaccess)" "error: EFAULT" \
	"uaccess: write() from a bad pointer fails with EFAULT, no oops"
is "$(/lab/files/fileops badread $D/uaccess)" "error: EFAULT" \
	"uaccess: read() into a bad pointer fails with EFAULT, no oops"
is "$(cat $D/uaccess)" "hello" "uaccess: the failed write changed nothing"

# static key: off, on, off, three times
r=
for i in 1 2 3; do
	r="$r $(cat $D/key)$(cat $D/key_cold)"
	echo 1 >$D/key
	r="$r $(cat $D/key)$(cat $D/key_cold)"
	echo 0 >$D/key
done
is "$r" " 00 11 00 11 00 11" \
	"key: mech_branch() and mech_branch_cold() follow mech_key, off/on three times"

# static call, retargeted, with preemption-mode switches in the middle
# (where the kernel has modes to switch: not PREEMPT_RT, see the host side)
P=/sys/kernel/debug/sched/preempt
if [ "$(cat /lab/files/preempt-dynamic)" = 1 ]; then
	mode=$(sed -n 's/.*(\([a-z]*\)).*/\1/p' $P)
	like "$mode" '^(none|voluntary|full)$' "preempt: current mode is $mode"
	switch() {
		ok "preempt: switch to $1" sh -c "echo $1 >$P" &&
			like "$(cat $P)" "\\($1\\)" "preempt: $1 is current"
	}
else
	ok "preempt: no mode to switch on a PREEMPT_RT kernel (no $P)" test ! -e $P
	switch() { :; }
fi
r=$(cat $D/call)
t=$(cat $D/call_tail)
echo 1 >$D/call; r="$r $(cat $D/call)"; t="$t $(cat $D/call_tail)"
echo 0 >$D/call; r="$r $(cat $D/call)"
echo 1 >$D/call; r="$r $(cat $D/call)"
switch full
r="$r $(cat $D/call)"; t="$t $(cat $D/call_tail)"
echo 0 >$D/call; r="$r $(cat $D/call)"; t="$t $(cat $D/call_tail)"
switch none
r="$r $(cat $D/call)"
echo 1 >$D/call; r="$r $(cat $D/call)"
switch "$mode"
r="$r $(cat $D/call)"
echo 0 >$D/call
is "$r" "14 49 14 49 49 14 14 49 49" \
	"call: mech_call_site(7) follows mech_call (double/square), across preemption modes"
is "$t" "14 49 49 14" "call: mech_call_tail(7) too (a tail call through mech_call)"

# dynamic debug: a pr_debug() on, off, on
C=/proc/dynamic_debug/control
[ -e $C ] || C=/sys/kernel/debug/dynamic_debug/control
echo 5 >$D/dbg
ok "dbg: dynamic debug +p" sh -c "echo 'module kedr_mech_target +p' >$C"
echo 6 >$D/dbg
echo 'module kedr_mech_target -p' >$C
echo 7 >$D/dbg
echo 'module kedr_mech_target +p' >$C
echo 8 >$D/dbg
echo 'module kedr_mech_target -p' >$C
is "$(dmesg | grep -o 'mech_dbg: [0-9]*' | tr '\n' ' ')" "mech_dbg: 6 mech_dbg: 8 " \
	"dbg: the pr_debug() printed only while it was on"
is "$(val mech_dbg_calls)" 4 "dbg: mech_dbg counted 4 calls"

# .cold: errors (> 100) in the cold part, the rest in the parent
r=
for v in 5 1000 7 101; do
	echo $v >$D/cold
	r="$r $(cat $D/cold)"
done
is "$r" " 0 -22 0 -22" "cold: mech_cold() returns 0, -EINVAL, 0, -EINVAL"
is "$(val mech_cold_calls) $(val mech_cold_errors)" "4 2" "cold: 4 calls, 2 errors counted"

# timer -> tasklet, then a work item; three times
for i in 1 2 3; do
	ok "defer: timer, tasklet and work item ran ($i)" sh -c "echo 1 >$D/defer"
done
is "$(val mech_timer_hits) $(val mech_tasklet_hits) $(val mech_work_hits)" "3 3 3" \
	"defer: each callback ran three times"

ok "rmmod kedr_mech_target" rmmod kedr_mech_target
cat /sys/kernel/debug/kedr_sample/output >$O
ok "rmmod kedr_sample" rmmod kedr_sample
diag "$(wc -l <$O) lines of output; $(head -n 1 $O)"

# ---- what kedr_sample recorded ------------------------------------------
# Every function tested is instrumented (not left alone) and was entered as
# often as it returned.
left=$(grep 'left alone:' /lab/sample.log)
for f in mech_uaccess_write mech_uaccess_read mech_branch mech_branch_cold \
	mech_branch_cold.cold mech_call_site mech_call_tail mech_double \
	mech_square mech_dbg mech_cold mech_cold.cold mech_timer_fn \
	mech_tasklet_fn mech_work_fn; do
	unlike "$left" "left alone: $f \\(" "$f is not left alone"
	case $f in *.cold) continue ;; esac
	n=$(calls entry $f)
	isnt "$n" 0 "$f: entries recorded ($n)"
	is "$(calls exit $f)" "$n" "$f: as many exits as entries"
done

# uaccess (mech_uaccess_write: "mov (%rsi,%rcx),%dil" reads the user byte,
# "mov %dil,mech_buf(%rcx)" writes it; mech_uaccess_read the other way)
buf=$(addr mech_buf)
is "$(calls entry mech_uaccess_write)" 2 "uaccess: mech_uaccess_write entered twice (echo, fileops)"
is "$(ev write mech_uaccess_write $buf 1)" 1 "uaccess: the write of 'h' to mech_buf[0] is recorded"
is "$(ev read mech_uaccess_write $BAD 1)" 1 \
	"uaccess: the faulting read of $BAD is recorded, in mech_uaccess_write"
is "$(ev write mech_uaccess_read $BAD 1)" 1 \
	"uaccess: the faulting write to $BAD is recorded, in mech_uaccess_read"
is "$(ev write mech_uaccess_write "$(addr mech_sum)" 8)" 1 \
	"uaccess: mech_sum written once (not after the fault)"

# static key ("addq $1,mech_key_on(%rip)": a read and a write each;
# mech_branch_cold.cold: "mov mech_key_cold_on,%rax" ... "mov %rsi,mech_key_cold_on")
is "$(calls entry mech_branch) $(calls entry mech_branch_cold)" "6 6" \
	"key: mech_branch and mech_branch_cold entered 6 times each"
for v in mech_key_on mech_key_off; do
	is "$(ev read mech_branch "$(addr $v)" 8) $(ev write mech_branch "$(addr $v)" 8)" "3 3" \
		"key: $v read and written 3 times in mech_branch"
done
is "$(ev write mech_branch_cold "$(addr mech_key_cold_off)" 8)" 3 \
	"key: mech_key_cold_off written 3 times in mech_branch_cold"
is "$(ev write mech_branch_cold.cold "$(addr mech_key_cold_on)" 8)" 3 \
	"key: mech_key_cold_on written 3 times in mech_branch_cold.cold (key on)"

# static call: mech_call_site: double at calls 1 3 6 7, square at 2 4 5 8
# 9; mech_call_tail: double at 1 4, square at 2 3
is "$(calls entry mech_call_site)" 9 "call: mech_call_site entered 9 times"
is "$(calls entry mech_call_tail) $(calls exit mech_call_tail)" "4 4" \
	"call: mech_call_tail entered 4 times, left 4 times (at its tail call)"
is "$(calls entry mech_double) $(calls entry mech_square)" "6 7" \
	"call: mech_double entered 6 times, mech_square 7 times"
is "$(ev write mech_call_site "$(addr mech_call_result)" 8)" 9 "call: mech_call_result written 9 times"

# dynamic debug ("addq $1,mech_dbg_calls(%rip)" after the pr_debug)
is "$(calls entry mech_dbg)" 4 "dbg: mech_dbg entered 4 times"
is "$(ev write mech_dbg "$(addr mech_dbg_calls)" 8)" 4 "dbg: mech_dbg_calls written 4 times in mech_dbg"

# .cold: mech_cold_errors is loaded and stored in the cold part; the call
# count is incremented back in the parent ("addq"), for all 4 calls
is "$(calls entry mech_cold) $(calls exit mech_cold)" "4 4" "cold: mech_cold entered and left 4 times"
is "$(calls entry mech_cold.cold)" 0 "cold: no entry recorded for the .cold part"
is "$(ev write mech_cold.cold "$(addr mech_cold_errors)" 8)" 2 \
	"cold: mech_cold_errors written twice, in mech_cold.cold"
is "$(ev write mech_cold "$(addr mech_cold_calls)" 8)" 4 \
	"cold: mech_cold_calls written 4 times, in mech_cold (back from the cold part)"

# defer
for f in timer tasklet work; do
	is "$(calls entry mech_${f}_fn)" 3 "defer: mech_${f}_fn entered 3 times"
	is "$(ev write mech_${f}_fn "$(addr mech_${f}_hits)" 8)" 3 \
		"defer: mech_${f}_hits written 3 times in mech_${f}_fn"
done
GUEST
)
# Dynamic preemption (modes switched at run time through static calls,
# cond_resched() among them) exists unless the kernel is PREEMPT_RT: then
# cond_resched() is no static call and the target calls none.
if nm "$ko" | grep -q ' U __SCT__cond_resched$'; then
	echo 1 >"$TAP_TMP/preempt-dynamic"
else
	echo 0 >"$TAP_TMP/preempt-dynamic"
	note "kedr_mech_target calls no cond_resched() static call: no preemption modes to switch on $(lab_kver)"
fi
lab_tap --file "$TAP_TMP/fast" --timeout 180 --file "$TAP_TOP/build/guest/fileops" --file "$TAP_TMP/preempt-dynamic" "$guest"

# ---- 2. the WARN ------------------------------------------------------------
guest=$(lab_script warn.sh <<'GUEST'
. /lab/tap.sh
D=/sys/kernel/debug/kedr_mech_target
O=/lab/output.txt
calls() { grep -c "^TID=0x[0-9a-f]* $1: addr=0x[0-9a-f]* (\"$2\")\$" $O; }
ev() {
	_pc="0x[0-9a-f]* ($2+0x[0-9a-f]*/0x[0-9a-f]* \[kedr_mech_target\])"
	grep -c "^TID=0x[0-9a-f]* $1 at $_pc: addr=$3, size=$4\$" $O
}

ok "insmod kedr_sample target_name=kedr_mech_target" \
	insmod /lab/kedr_sample.ko fast=$(cat /lab/files/fast) target_name=kedr_mech_target num_records=100000 || exit 1
ok "insmod kedr_mech_target" insmod /lab/kedr_mech_target.ko || exit 1
addr() { awk -v n="$1" '$1 == n { print $2 }' $D/vars; }
val() { awk -v n="$1" '$1 == n { print $3 }' $D/vars; }
a=$(addr mech_warn_calls)
b=$(addr mech_warn_cold_errors)
left=$(dmesg | grep 'left alone:')
for f in mech_warn mech_warn_cold mech_warn_cold.cold; do
	unlike "$left" "left alone: $f \\(" "$f is not left alone"
done
echo 0 >$D/warn; s0=$?
echo 1 >$D/warn; s1=$?
echo 0 >$D/warn; s2=$?
is "$s0 $s1 $s2" "0 0 0" "warn: the three writes returned normally"
is "$(val mech_warn_calls)" 3 "warn: mech_warn went on after the WARN (3 calls counted)"
echo 0 >$D/warn_cold; s0=$?
echo 1 >$D/warn_cold; s1=$?
echo 0 >$D/warn_cold; s2=$?
is "$s0 $s1 $s2" "0 1 0" "warn_cold: the writes returned; the one that warned failed (EINVAL)"
is "$(val mech_warn_cold_errors)" 1 "warn_cold: mech_warn_cold went on after the WARN to its error path"
is "$(dmesg | grep -c 'WARNING:')" 2 "warn: two WARNINGs in the log"
ok "rmmod kedr_mech_target" rmmod kedr_mech_target
cat /sys/kernel/debug/kedr_sample/output >$O
ok "rmmod kedr_sample" rmmod kedr_sample
is "$(calls entry mech_warn) $(calls exit mech_warn)" "3 3" "warn: mech_warn entered and left 3 times"
is "$(ev write mech_warn "$a" 8)" 3 "warn: mech_warn_calls written 3 times in mech_warn, once after the UD2"
is "$(calls entry mech_warn_cold) $(calls exit mech_warn_cold)" "3 3" \
	"warn_cold: mech_warn_cold entered and left 3 times"
is "$(ev write mech_warn_cold.cold "$b" 8)" 1 \
	"warn_cold: mech_warn_cold_errors written once, in mech_warn_cold.cold after the UD2"
echo "warn script finished"
GUEST
)
lab_exec --file "$TAP_TMP/fast" --timeout 120 "$guest"
is "$LAB_STATUS" 125 "warn: tests/vm/run exits 125 (a WARNING), as expected"
warning='WARNING: CPU: [0-9]+ PID: [0-9]+ at [^ ]*sample_target/'
like "$(cat "$LAB_ERR")" "^lab: guest kernel logged: ${warning}mech_target\\.c:$warn_line " \
	"warn: the (first) WARNING names mech_target.c:$warn_line (the WARN_ON in mech_warn)"
problems=$(grep '^lab-dmesg: ' "$LAB_OUT" |
	sed -E "s|^.*${warning}(mech_target\\.c:[0-9]+) .*\$|WARNING at \\1|")
is "$problems" "$(printf 'WARNING at mech_target.c:%s\n' "$warn_line" "$warn_cold_line")" \
	"warn: the only kernel problems logged are those two WARNINGs, at the two WARN_ON lines"
like "$(cat "$LAB_OUT")" 'warn script finished' "warn: the guest script ran to its end"
like "$(cat "$LAB_OUT")" '^=== lab: exit status 0 ===$' "warn: and exited 0"
is "$(grep -c "^ok - " "$LAB_OUT")" 16 "warn: the guest's 16 assertions ran"
failed=$(grep '^not ok' "$LAB_OUT")
is "$failed" "" "warn: no guest assertion failed" || grep -A3 '^not ok' "$LAB_OUT" | sed 's/^/# /' >&2

done

done_testing
