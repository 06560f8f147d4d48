#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/20-insn-classes.t: kedr_sample records exactly the events the
# assembly of kedr_insn_target (sample_target/insn_target_asm.S) makes, one
# function per class of instructions: every event's kind, pc, address and
# size, their order, entries and exits, and [Totals].
#
# The oracle: tests/insn-classes.events, written by hand from the .S; the
# pc of each event is a label of the .S, whose function and offset come
# from the .ko's symbol table (objdump -t), not from kedr_sample. Each test
# function also runs without kedr_sample first: its results and the
# buffer's content must be the same instrumented.
#
# Each run also repeats the tests with a one-record store, so that the
# stub's counting-only shortcut runs them (fast=1; with fast=0 the
# recorder in C only counts): results must not change.
#
# Two lab runs (process_sp_accesses=0, then 1), about 40 s each; in each,
# the instrumented part is made twice: with fast=1, then with fast=0 (the
# simple instrumenter).

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

ko=$(lab_modbuild)/sample_target/kedr_insn_target.ko
ok "kedr_insn_target.ko is built (make lab-modules)" test -f "$ko" || {
	done_testing
}
# The C indirect call must really go through a retpoline thunk.
like "$(objdump -dr --disassemble=kit_c_icall "$ko")" '__x86_indirect_thunk_' \
	"kit_c_icall calls through a retpoline thunk"

guest=$(lab_script insn-classes.sh <<'GUEST'
. /lab/tap.sh
SP=$(cat /lab/files/sp)
D=/sys/kernel/debug/kedr_insn_target
NT=27	# the tests in kit_tests (KIT_NR_TESTS)
# Pin everything to CPU 0: kit_percpu's accesses are to CPU 0's kit_pcpu.
taskset -p 1 $$ >/dev/null

# run_all: run each test once; print its result and the buffer's checksum
run_all() {
	i=0
	while [ $i -lt $NT ]; do
		echo $i >$D/run || echo "run $i failed"
		echo "$i $(cat $D/result) $(md5sum <$D/data | cut -d' ' -f1)"
		i=$((i + 1))
	done
}

ok "insmod kedr_insn_target (not instrumented)" insmod /lab/kedr_insn_target.ko || exit 0
run_all >native.txt
ok "rmmod kedr_insn_target" rmmod kedr_insn_target
for F in 1 0; do
echo "MODE $F"	# what follows is this mode's (the host splits the output)
ok "insmod kedr_sample process_sp_accesses=$SP fast=$F" insmod /lab/kedr_sample.ko \
	target_name=kedr_insn_target num_records=100000 process_sp_accesses=$SP fast=$F || exit 0
is "$(cat /sys/module/kedr_sample/parameters/fast)" "$(if [ "$F" = 1 ]; then echo Y; else echo N; fi)" \
	"kedr_sample runs with fast=$F"
ok "insmod kedr_insn_target (instrumented)" insmod /lab/kedr_insn_target.ko || exit 0
like "$(dmesg | grep '\[sample\] instrumented' | tail -n 1)" 'instrumented [0-9]+ functions, left alone 0;' \
	"every function of kedr_insn_target is instrumented"
run_all >instrumented.txt
is "$(cat instrumented.txt)" "$(cat native.txt)" \
	"instrumented, every test returns the same and leaves the same buffer"
echo "KIT buffer $(cat $D/buffer)"
echo "KIT pcpu0 $(cat $D/pcpu0)"
echo "KIT sp $(cat $D/sp)"
grep '\[kedr_insn_target\]$' /proc/kallsyms | sed 's/^/KIT sym /'
ok "rmmod kedr_insn_target" rmmod kedr_insn_target
sed 's/^/OUT /' /sys/kernel/debug/kedr_sample/output
ok "rmmod kedr_sample" rmmod kedr_sample

# Once the store is full the stub takes its counting-only shortcut, which
# saves the flags differently (LAHF/SETO, not PUSHFQ): with a one-record
# store the tests, whose results depend on flags kept across recorded
# accesses (SETcc, CMOVcc, ADC, SBB after a CMP...), must still agree.
ok "insmod kedr_sample num_records=1" insmod /lab/kedr_sample.ko \
	target_name=kedr_insn_target num_records=1 process_sp_accesses=$SP fast=$F || exit 0
ok "insmod kedr_insn_target (instrumented, counting only)" insmod /lab/kedr_insn_target.ko || exit 0
run_all >counting.txt
is "$(cat counting.txt)" "$(cat native.txt)" \
	"counting only, every test returns the same and leaves the same buffer"
ok "rmmod kedr_insn_target" rmmod kedr_insn_target
like "$(head -1 /sys/kernel/debug/kedr_sample/output)" '^\[Totals\] reads: [1-9]' \
	"counting only, the totals are there"
ok "rmmod kedr_sample" rmmod kedr_sample
done
GUEST
)

for sp in 0 1; do
	echo "$sp" >"$TAP_TMP/sp"
	note "---- process_sp_accesses=$sp"
	lab_exec --timeout 300 --file "$TAP_TMP/sp" "$guest"
	note "lab run: $LAB_SECONDS s"
	is "$LAB_STATUS" 0 "lab run clean (exit 0, no oops/WARNING), process_sp_accesses=$sp" ||
		{ diag "$(tail -n 15 "$LAB_ERR" "$LAB_OUT")"; continue; }
	# the output of the native part, then of each mode
	rm -f "$TAP_TMP"/part-*
	awk -v d="$TAP_TMP" 'BEGIN { f = d "/part-native" }
		/^MODE [01]$/ { f = d "/part-" $2; next } { print > f }' "$LAB_OUT"
	for part in native 1 0; do
		tag="sp=$sp"
		[ $part = native ] || tag="fast=$part sp=$sp"
		[ -f "$TAP_TMP/part-$part" ] || { fail "the guest ran its part $part ($tag)"; continue; }
		# the guest's own assertions
		while IFS= read -r line; do
			case $line in
			'ok - '*) pass "${line#ok - } ($tag)" ;;
			'not ok - '*) fail "${line#not ok - } ($tag)" ;;
			'# '*) diag "${line#\# }" ;;
			esac
		done <"$TAP_TMP/part-$part"
		[ $part = native ] && continue
		# the events, against tests/insn-classes.events
		quiet=
		while IFS=$'\t' read -r status rest todo; do
			if [ -n "$todo" ]; then	# a known failure (see the events file)
				_tap_line "$status" "$rest ($tag) # TODO $todo"
				quiet=1
				continue
			fi
			case $status in
			ok) pass "$rest ($tag)"; quiet= ;;
			'not ok') fail "$rest ($tag)"; quiet= ;;
			'#') if [ -n "$quiet" ]; then note "$rest"; else diag "$rest"; fi ;;
			*) diag "$status${rest:+ $rest}" ;;	# e.g. the checker died
			esac
		done < <(perl "$TAP_TOP/tests/insn-classes-check.pl" "$ko" \
			"$TAP_TOP/tests/insn-classes.events" "$TAP_TMP/part-$part" "$sp" 2>&1 ||
			echo "not ok	insn-classes-check.pl ran to the end")
	done
done

done_testing
