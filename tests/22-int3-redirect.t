#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/22-int3-redirect.t: a jump that kedr_sample cannot re-aim (through
# a register, into the middle of another function) lands on the int3 fill
# of the original; kedr_sample's int3 handler must send it on to the same
# instruction of the instance. kit_midjump/kit_midtarget of
# sample_target/insn_target_asm.S: the oracle is that assembly (the write
# at mid_2, the write at mid_1 skipped, the result 0x3d) and the .ko's
# symbol table for the offset of mid_2. One guest run, instrumented with
# fast=1, then with fast=0 (the simple instrumenter).

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

ko=$TAP_TOP/sample_target/kedr_insn_target.ko
ok "kedr_insn_target.ko is built (make lab-modules)" test -f "$ko" || done_testing
# where mid_2 is in kit_midtarget, from the symbol table
sym() { nm "$ko" | awk -v s="$1" '$3 == s { print $1 }'; }
off=$(printf '0x%x' $((0x$(sym mid_2) - 0x$(sym kit_midtarget))))
size=$(printf '0x%x' "$(readelf -sW "$ko" | awk '$8 == "kit_midtarget" { print $3 }')")
is "$off" "0x7" "mid_2 is past the 5-byte jump at the start of kit_midtarget, in the int3 fill"
echo "kit_midtarget\\+$off/$size" >"$TAP_TMP/pc"	# an ERE: + escaped

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
like "$(cat /sys/kernel/debug/kedr_sample/functions)" 'kit_midtarget 0x[0-9a-f]+ 24 instance 0x' \
	"kit_midtarget is instrumented (fast=$F)"
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
lab_tap --file "$TAP_TMP/pc" "$guest"

done_testing
