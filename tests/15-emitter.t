#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/15-emitter.t: kedr_sample's engine (the decoder, sites, emitter,
# function table and plan regions of the source, compiled unchanged by
# tests/engine.mk for user space) instruments a fixed, seeded sample of
# Debian's modules plus a few chosen ones, and every instance is checked
# instruction by instruction by build/engine/engine: byte-identical copies,
# RIP-relative operands and branches reaching the same targets, sites where
# the event rules put them and saying what the rules say (the oracle is
# written from the rules in engine.c, not taken from the emitter), inline
# counts only where Capstone sees the flags dead, dry size == real size;
# with fast=0 (the simple instrumenter) the same, with every site a plain
# call of kedr_event_stub and no inline count. Exits of jumps through a
# register, memory or a retpoline thunk name where the target is. Then six
# deliberately broken emitters must be caught. The whole corpus: make -f
# tests/engine.mk emitter-corpus-check.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

# The corpus (the lab kernel's own modules) and the engine: without them
# the oracle cannot run, a failure, not a skip.
engine_ready
# chosen: the only LOOP of the corpus (gsmi), conditional tail calls
# (poly1305), a memory shift and .cold families (intel-uncore), many .cold
# parts and static keys (ext4), and f2fs: one of the few modules of 6.12
# with .cold parts at all (see below)
CHOSEN="$K/drivers/firmware/google/gsmi.ko $K/arch/x86/crypto/poly1305-x86_64.ko
	$K/arch/x86/events/intel/intel-uncore.ko $K/fs/ext4/ext4.ko $K/fs/f2fs/f2fs.ko"
# GCC moves the unlikely paths of a function to FUNC.cold around calls to
# __cold functions.  Linux 6.12 with CONFIG_FUNCTION_ALIGNMENT=16 (Debian's,
# for call padding) defines __cold as nothing, "as GCC drops the alignment
# for cold functions" (include/linux/compiler_types.h): its 4230 modules
# have 7 .cold parts (2 in f2fs, none of them with a return), 6.1's
# thousands.  What the .cold checks below expect, by kernel:
case $(lab_series) in
6.12) COLD_MIN=2 COLD_JUMPS_MIN=2 EXIT_IN_COLD=no ;;
*) COLD_MIN=101 COLD_JUMPS_MIN=100 EXIT_IN_COLD=yes ;;
esac
SEED=20261127
N=300

# shellcheck disable=SC2086
"$ENGINE" check -n $N -S $SEED "$K" $CHOSEN >"$TAP_TMP/out" 2>&1
status=$?
cat "$TAP_TMP/out" >>"$TAP_LOG"
grep MISMATCH "$TAP_TMP/out" | head -20 | sed 's/^/# /'
fig() { sed -n "s/^$1//p" "$TAP_TMP/out" | head -1; }
note "seed $SEED, $N sampled modules + 4 chosen"
note "$(grep -E '^(checked|seen|code):' "$TAP_TMP/out")"

is "$status" 0 "the engine ran over the sample and found nothing wrong"
is "$(fig 'mismatches: ')" "0 (in 0 functions)" "no mismatch between instances and the rules"
checked=$(fig 'checked: ' | awk '{print $1}')
ok "at least 5000 functions checked (got $checked)" test "${checked:-0}" -ge 5000
dry=$(fig 'dry size == real size: ')
like "$dry" '^([0-9]+) of \1 instances \(0 ' "dry size == real size for every instance"
cold=$(fig 'given to plan_function: ' | sed -n 's/.*(.cold parts: \([0-9]*\)).*/\1/p')
ok ".cold parts instrumented and checked (got $cold, at least $COLD_MIN)" test "${cold:-0}" -ge $COLD_MIN
seen_of() { awk -v k="$1" '$1 == k {print $2+0}' "$TAP_TMP/out"; }
ok "a LOOP/JRCXZ rewritten as three instructions" test "$(seen_of loop)" -ge 1
ok "conditional tail calls go through trampolines" test "$(seen_of trampoline)" -ge 1
ok "jumps between a function and its .cold part stay in the instances ($(seen_of cold-family-jump), at least $COLD_JUMPS_MIN)" \
	test "$(seen_of cold-family-jump)" -ge $COLD_JUMPS_MIN
ok "static key sites kept in their 5-byte form" test "$(seen_of static-key)" -ge 10
ok "a shift with a memory operand is recorded" test "$(seen_of shift-mem)" -ge 1
for k in string locked update rip-relative gs exit-in-cold; do
	if [ $k = exit-in-cold ] && [ $EXIT_IN_COLD = no ]; then
		note "exit-in-cold: no .cold part of $(lab_kver)'s modules returns (seen: $(seen_of $k))"
		continue
	fi
	ok "sites seen and checked: $k" test "$(seen_of $k)" -ge 1
done
# where the flags are dead, the count is inline (and Capstone agrees)
ok "tail calls through a retpoline thunk: exit sites that name the register" \
	test "$(seen_of exit-jmp-thunk)" -ge 1
inl=$(fig 'inline counts: ' | awk '{print $1}')
sites=$(fig 'checked: ' | awk '{print $5}')
ok "over half the sites count inline ($inl of $sites)" test $((${inl:-0} * 2)) -gt "${sites:-0}"

# With process_sp_accesses=1 the %rsp-based operands get sites too
# shellcheck disable=SC2086
"$ENGINE" check -f 0 -n 100 -S $SEED "$K" $CHOSEN >"$TAP_TMP/out-f0" 2>&1
is "$? $(sed -n 's/^mismatches: //p' "$TAP_TMP/out-f0")" "0 0 (in 0 functions)" \
	"with fast=0: no mismatch, every site a plain call of kedr_event_stub"
like "$(sed -n 's/^inline counts: //p' "$TAP_TMP/out-f0")" '^0 ' "with fast=0: no inline count"

"$ENGINE" check -s -n 60 -S $SEED "$K" >"$TAP_TMP/out-s" 2>&1
is "$? $(sed -n 's/^mismatches: //p' "$TAP_TMP/out-s")" "0 0 (in 0 functions)" \
	"with process_sp_accesses: no mismatch either"

# The checker is not blind: break the emitter, it must notice
mutate() {	# NAME OLD NEW: a copy of kedr_sample.c with OLD (found once) replaced
	python3 - "$TAP_TOP/kedr_sample.c" "$TAP_TMP/$1.c" "$2" "$3" <<'PY'
import sys
src, dst, old, new = sys.argv[1:]
s = open(src).read()
if s.count(old) != 1:
    sys.exit(1)
open(dst, 'w').write(s.replace(old, new))
PY
}
broken() {	# NAME OLD NEW DESC
	if ! mutate "$1" "$2" "$3" ||
	   ! make -s -C "$TAP_TOP" -f tests/engine.mk ENG_MAIN_SRC="$TAP_TMP/$1.c" \
		ENG_BUILD="$TAP_TMP/b-$1" engine-tools >/dev/null 2>&1; then
		fail "$4 (cannot build the broken emitter: has the code changed?)"
		return
	fi
	"$TAP_TMP/b-$1/engine" check $CHOSEN >"$TAP_TMP/out-$1" 2>&1
	like "$(sed -n 's/^mismatches: //p' "$TAP_TMP/out-$1")" '^[1-9]' "$4"
}
# shellcheck disable=SC2016
broken ripfix '	disp = pc + in->length + in->mem.disp - (e->addr + start + in->length);' \
	'	disp = pc + in->length + in->mem.disp - (e->addr + start);' \
	"an emitter that re-aims RIP-relative operands wrongly is caught"
broken tailexit '	if (kind == KEDR_DEST_OUTSIDE && in->flow == KEDR_FLOW_JMP)' \
	'	if (kind == KEDR_DEST_OUTSIDE && in->flow == KEDR_FLOW_CALL)' \
	"an emitter that records no exit before a tail call is caught"
broken thunk '		emit_exit_site(e, x, jump_thunk_register(target), NULL, pc);' \
	'		emit_exit_site(e, x, KEDR_REG_NONE, NULL, pc);' \
	"an emitter that takes a jump through a retpoline thunk for a plain exit is caught"
broken family '	return same_family(f, *g) ? KEDR_DEST_FAMILY : KEDR_DEST_OUTSIDE;' \
	'	return same_family(f, *g) && 0 ? KEDR_DEST_FAMILY : KEDR_DEST_OUTSIDE;' \
	"an emitter that treats a jump into a .cold part as a tail call is caught"
broken adc '	[0x08 ... 0x0D] = KEDR_FLAGS_SET,	/* OR */' \
	'	[0x08 ... 0x1D] = KEDR_FLAGS_SET,	/* OR, ADC, SBB */' \
	"an emitter that counts inline before ADC/SBB, which read CF, is caught"
broken reader '(dead & (use == KEDR_FLAGS_KEEP));' \
	'(dead & (use != KEDR_FLAGS_SET));' \
	"an emitter that counts inline where a jump reads the flags is caught"

done_testing
