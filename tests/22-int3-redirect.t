#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/22-int3-redirect.t: a jump that kedr_sample cannot re-aim (through
# a register, into the middle of another function) lands on the int3 fill
# of the original; kedr_sample's int3 handler must send it on to the same
# instruction of the instance. kit_midjump/kit_midtarget of
# sample_target/insn_target_asm.S: the oracle is that assembly (the write
# at mid_2, the write at mid_1 skipped, the result 0x3d) and the .ko's
# symbol table for the offset of mid_2. Under IBT (6.12) the jump lands on
# an ENDBR64 at kit_mid_in: the patched original must keep it (and its
# ENDBR64 at +0), int3 everywhere else past the jump; its bytes are read
# through /proc/kcore. One guest run, instrumented with fast=1, then with
# fast=0 (the simple instrumenter).

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

make -s -C "$TAP_TOP" -f tests/guest.mk guest-tools >&2
ko=$(lab_modbuild)/sample_target/kedr_insn_target.ko
ok "kedr_insn_target.ko is built (make lab-modules)" test -f "$ko" || done_testing
# where mid_2 is in kit_midtarget, from the symbol table
sym() { nm "$ko" | awk -v s="$1" '$3 == s { print $1 }'; }
off=$(printf '0x%x' $((0x$(sym mid_2) - 0x$(sym kit_midtarget))))
in_off=$((0x$(sym kit_mid_in) - 0x$(sym kit_midtarget)))
size=$(printf '0x%x' "$(readelf -sW "$ko" | awk '$8 == "kit_midtarget" { print $3 }')")
# the function's bytes in the file (no relocation before kit_mid_in's end)
bytes=$(objdump -d --start-address=0x$(sym kit_midtarget) \
	--stop-address=$((0x$(sym kit_midtarget) + size)) "$ko" |
	sed -n 's/^ *[0-9a-f]*:\t\(\([0-9a-f][0-9a-f] \)*\).*/\1/p' | tr -d '\n')
is "${#bytes}" "$((size * 3))" "objdump shows the $((size)) bytes of kit_midtarget"
endbr=0 kept=0
[ "${bytes:0:12}" = "f3 0f 1e fa " ] && endbr=4
[ "${bytes:$((in_off * 3)):12}" = "f3 0f 1e fa " ] && kept=4
is "$((off))" "$((in_off + kept))" "mid_2 is kit_mid_in, after its ENDBR64 if the kernel has IBT ($kept bytes)"
is "$kept" "$endbr" "kit_midtarget and kit_mid_in both start with ENDBR64, or neither does"
ok "mid_2 (+$off) is past the jump at +$endbr of kit_midtarget, in the int3 fill" \
	test $((off)) -ge $((endbr + 5))
echo "kit_midtarget\\+$off/$size" >"$TAP_TMP/pc"	# an ERE: + escaped
# The patched original, as an ERE over kcore_read's "xx xx ...": ENDBR64s
# where the file has them, the jump after the first, int3 everywhere else.
# The loader "seals" the ENDBR64 of a function whose address the module
# never takes (.ibt_endbr_seal) into the 4-byte nop 66 0f 1f 00: at +0
# either may be there.
want=
((endbr)) && want="(f3 0f 1e fa|66 0f 1f 00) "
for ((i = endbr; i < size; i++)); do
	if ((i >= in_off && i < in_off + kept)); then
		b=${bytes:$((i * 3)):2}
	elif ((i == endbr)); then
		b=e9
	elif ((i < endbr + 5)); then
		b=..
	else
		b=cc
	fi
	want+="$b "
done
echo "^${want% }\$" >"$TAP_TMP/patched"

guest=$(lab_script int3-redirect.sh <<'GUEST'
. /lab/tap.sh
D=/sys/kernel/debug/kedr_insn_target
byte() { od -A n -t x1 -j "$1" -N 1 $D/data | tr -d ' '; }

ok "insmod kedr_insn_target (not instrumented)" insmod /lab/kedr_insn_target.ko || exit 0
echo 1 >$D/midjump
is "$(cat $D/result)" "0x000000000000003d" "native: kit_midjump returns 0x3d"
is "$(byte 901)$(byte 900)" "025a" "native: mid_2 wrote, mid_1 was jumped over"
ok "rmmod kedr_insn_target" rmmod kedr_insn_target

for F in 1 0; do	# the fast instrumenter, then the simple one
ok "insmod kedr_sample fast=$F" insmod /lab/kedr_sample.ko fast=$F target_name=kedr_insn_target || exit 0
ok "insmod kedr_insn_target (instrumented, fast=$F)" insmod /lab/kedr_insn_target.ko || exit 0
like "$(cat /sys/kernel/debug/kedr_sample/functions)" 'kit_midtarget 0x[0-9a-f]+ [0-9]+ instance 0x' \
	"kit_midtarget is instrumented (fast=$F)"
a=$(awk '$3 == "kit_midtarget" { print $1 }' /proc/kallsyms)
like "$(/lab/files/kcore_read "$a" "$(cat /lab/files/size)" | tr '\n' ' ' | sed 's/ $//')" \
	"$(cat /lab/files/patched)" \
	"the original: ENDBR64s kept (if any), jmp, int3 over the rest (fast=$F)"
buf=$(cat $D/buffer)
# buf + n, in hex: the buffer is page-aligned, so the low 32 bits do not carry
# (and busybox's 64-bit arithmetic cannot hold a kernel address)
at() { hi=${buf%????????}; printf '%s%08x' "$hi" $((0x${buf#"$hi"} + $1)); }
echo 1 >$D/midjump
is "$(cat $D/result)" "0x000000000000003d" "instrumented: kit_midjump returns 0x3d (fast=$F)"
is "$(byte 901)$(byte 900)" "025a" "instrumented: mid_2 wrote, mid_1 was jumped over (fast=$F)"
ok "rmmod kedr_insn_target" rmmod kedr_insn_target
out=$(cat /sys/kernel/debug/kedr_sample/output)
want="write at 0x[0-9a-f]+ \($(cat /lab/files/pc) \[kedr_insn_target\]\): addr=$(at 901), size=1"
like "$out" "$want" "the instance ran mid_2 and recorded its write (fast=$F)"
unlike "$out" "addr=$(at 900), size=1" "nothing ran mid_1 (fast=$F)"
like "$out" 'exit: addr=0x[0-9a-f]+ \("kit_midjump"\)' "kit_midjump's indirect jump is its exit (fast=$F)"
ok "rmmod kedr_sample" rmmod kedr_sample
done
GUEST
)
echo $((size)) >"$TAP_TMP/size"
lab_tap --file "$TAP_TMP/pc" --file "$TAP_TMP/patched" --file "$TAP_TMP/size" \
	--file "$TAP_TOP/build/guest/kcore_read" "$guest"
done_testing
