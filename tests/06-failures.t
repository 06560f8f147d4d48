#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/06-failures.t: every way instrumenting a target can fail leaves the
# kernel healthy, the target running (its own code, or instances where
# they were written), kedr_sample unloadable and a [sample] line saying
# what happened. Three lab runs:
#
#  1. No room: kedr_sample built with a 64 KiB area (make KEDR_AREA_SIZE=64K,
#     into build/small-area/<kernel>/) and Debian's fat as the target (vfat
#     on top, uninstrumented). fat's instances need about 120 KB: the
#     functions that do not fit are left alone, .cold families whole, and
#     named in kedr_sample/functions; they are exactly those the user-space
#     engine leaves alone with the same area (engine check -a 65536); a
#     FAT file system works (files written, read back after a remount);
#     every event comes from a function with an instance.
#  2. No memory: tests/modules/lab_failcall.ko (a kretprobe, no knob in
#     kedr_sample) makes one allocation kedr_sample makes at COMING fail:
#     the function table, a name, the static key sites, the decoded
#     instructions of one function, the sites, the scratch buffer, the
#     exception table, and set_memory_ro() of the sites, after the code is
#     in the area. The target is kedr_mech_target (static keys, static
#     calls, __ex_table). Each failure of the whole target is logged, and
#     then kedr_sample unloads while the target stays: if anything of the
#     target still led into kedr_sample, using the target afterwards would
#     oops. The target's uaccess fixups and static key still work.
#  3. Big drivers: amdgpu and i915 under the default build (2 GiB guest):
#     they load, as much as fits is instrumented, everything is accounted
#     for, both unload, then kedr_sample. The figures go to the log.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

KVER=$(lab_kver)
KDIR=$(lab_moddir)/build
K=$(lab_moddir)/kernel

# ---- 1. no room ------------------------------------------------------------
AREA=64K
SMALL=$TAP_TOP/build/small-area/$KVER
mkdir -p "$SMALL"
for f in kedr_sample.c insn_tables.h Makefile; do
	ln -sfn "$TAP_TOP/$f" "$SMALL/$f"
done
# quietly: the output of a build goes to the log
quietly() {
	"$@" >>"$TAP_LOG" 2>&1
}
ok "kedr_sample built with KEDR_AREA_SIZE=$AREA against $KVER" \
	quietly make -C "$KDIR" M="$SMALL" KEDR_SAMPLE_ONLY=1 KEDR_AREA_SIZE=$AREA modules
ok "the engine is built" quietly make -C "$TAP_TOP" -f tests/engine.mk engine-tools

fat_ko=$(find "$K/fs/fat" -name 'fat.ko*' | head -1)
case $fat_ko in
*.xz) xz -dc "$fat_ko" >"$TAP_TMP/fat.ko"; fat_ko=$TAP_TMP/fat.ko ;;
esac
"$TAP_TOP/build/engine/engine" check -v -a "$(numfmt --from=iec $AREA)" "$fat_ko" \
	>"$TAP_TMP/engine-fat.txt"
sed -n 's/^  left alone: \([^ ]*\) .*no room left in the area.*/\1/p' \
	"$TAP_TMP/engine-fat.txt" | sort >"$TAP_TMP/noroom-engine.txt"
ok "the engine leaves some of fat's functions alone for want of room" \
	test -s "$TAP_TMP/noroom-engine.txt"

files=$TAP_TMP/files
mkdir -p "$files"
cp "$SMALL/kedr_sample.ko" "$files/kedr_sample.ko"
head -c 300000 /dev/urandom >"$files/data"
sha=$(sha256sum <"$files/data" | cut -d' ' -f1)

guest=$(lab_script no-room.sh <<EOF
. /lab/tap.sh
F=/sys/kernel/debug/kedr_sample/functions
ok "insmod kedr_sample.ko (64 KiB area) target_name=fat" \
	insmod /lab/files/kedr_sample.ko target_name=fat num_records=100000 || exit 0
ok "modprobe vfat (fat is instrumented as far as it fits)" modprobe vfat || exit 0
dmesg | grep '\[sample\]' >/lab/sample.log
diag_cmd grep -E 'instrumented|left alone: [0-9]' /lab/sample.log
like "\$(grep 'left alone: [0-9]* functions' /lab/sample.log)" \
	'no room left in the area; all instances need [0-9]+ bytes, the area holds 65536' \
	"one line says how many functions found no room, and what the area would need"
echo "FUNCTIONS-BEGIN"; cat \$F; echo "FUNCTIONS-END"
dd if=/dev/zero of=/lab/fat.img bs=1M count=16 2>/dev/null
ok "mkdosfs" mkdosfs /lab/fat.img >/dev/null
ok "modprobe loop" modprobe loop
ok "losetup" losetup /dev/loop0 /lab/fat.img
mkdir -p /mnt/t
ok "mount" mount -t vfat /dev/loop0 /mnt/t || exit 0
mkdir /mnt/t/Dir
cp /lab/files/data /mnt/t/Dir/Data.bin
echo hello >/mnt/t/Hello.txt
ok "unmount" umount /mnt/t
ok "mount again" mount -t vfat /dev/loop0 /mnt/t
is "\$(sha256sum </mnt/t/Dir/Data.bin | cut -d' ' -f1)" "$sha" "the file reads back whole"
is "\$(cat /mnt/t/Hello.txt)" hello "and so does the small one"
umount /mnt/t
losetup -d /dev/loop0
ok "rmmod vfat fat" rmmod vfat fat
echo "EVENTS-BEGIN"
sed -n 's/.*(\([^+]*\)+0x.*\[fat\]).*/\1/p; s/.*("\(.*\)")\$/\1/p' /sys/kernel/debug/kedr_sample/output | sort -u
echo "EVENTS-END"
ok "rmmod kedr_sample" rmmod kedr_sample
EOF
)
lab_tap --timeout 300 --modules "vfat loop nls_cp437 nls_ascii" --file "$files/." "$guest"
out=$(ls -t "$TAP_TMP"/lab-*.out | head -1)
sed -n '/^FUNCTIONS-BEGIN/,/^FUNCTIONS-END/p' "$out" >"$TAP_TMP/functions.txt"
sed -n 's/^\([^ ]*\) 0x.* left alone: no room.*/\1/p' "$TAP_TMP/functions.txt" |
	sort >"$TAP_TMP/noroom-lab.txt"
# names that are not unique (two static init_once in fat) say nothing
sed -n 's/^\([^ ]*\) 0x.* instance .*/\1/p' "$TAP_TMP/functions.txt" | sort -u |
	comm -12 - "$TAP_TMP/noroom-lab.txt" >"$TAP_TMP/both.txt"
ok "some functions found no room in the lab" test -s "$TAP_TMP/noroom-lab.txt"
is "$(diff "$TAP_TMP/noroom-engine.txt" "$TAP_TMP/noroom-lab.txt" | head -5)" "" \
	"the functions left alone for want of room are those the engine predicts ($(wc -l <"$TAP_TMP/noroom-lab.txt"))"
# a .cold family is left alone whole or instrumented whole
bad=
while read -r f; do
	case $f in
	*.cold*) grep -qx "${f%%.cold*}" "$TAP_TMP/noroom-lab.txt" || bad="$bad $f" ;;
	esac
done <"$TAP_TMP/noroom-lab.txt"
is "$bad" "" "every .cold part left alone for want of room has its parent left alone too"
sed -n '/^EVENTS-BEGIN/,/^EVENTS-END/p' "$out" | sed '1d;$d' >"$TAP_TMP/events.txt"
ok "the workload produced events" test -s "$TAP_TMP/events.txt"
is "$(grep -xFf "$TAP_TMP/noroom-lab.txt" "$TAP_TMP/events.txt" | grep -vxFf "$TAP_TMP/both.txt" | head -3)" "" \
	"no event comes from a function left alone (names of two functions aside: $(echo $(cat "$TAP_TMP/both.txt")))"

# ---- 2. odd code, and no memory --------------------------------------------
# First lab_oddcode (tests/modules/lab_oddcode.c): one function for each
# reason found in the code; the log must name each, with the offset of the
# odd instruction (from objdump on the host), and the functions must run.
oddko=$(lab_modbuild)/tests/modules/lab_oddcode.ko
odd_at() {	# FUNCTION MNEMONIC-ERE: offset of the first such insn in it
	local start at

	read -r start at < <(objdump -d "$oddko" | awk -F '\t' -v f="<$1>:" -v re="^$2" '
		index($0, f) { split($0, w, " "); start = w[1]; on = 1; next }
		on && /^$/ { exit }
		on && $3 ~ re { sub(":", "", $1); gsub(" ", "", $1); print start, $1; exit }')
	[ -n "$at" ] && printf '0x%x\n' $((16#$at - 16#$start))
}
expect="odd_unknown|an instruction the decoder does not know|$(odd_at odd_unknown '\\(bad\\)')
odd_far|a far call, jump or return|$(odd_at odd_far ljmp)
odd_xbegin|XBEGIN, whose abort path is relative|$(odd_at odd_xbegin xbegin)
odd_jmp16|a branch with a 16-bit operand size|$(odd_at odd_jmp16 data16)
odd_midjump|a jump into the middle of an instruction|0x0
odd_truncated|its last instruction runs past its end|$(odd_at odd_truncated 'mov ')"
is "$(echo "$expect" | grep -c '|0x[0-9a-f]*$')" 6 "objdump finds each odd instruction of lab_oddcode.ko"
odd=$(echo "$expect" | while IFS='|' read -r f why off; do
	echo "like \"\$(grep ' $f ' /lab/odd.log)\" 'left alone: $f \\([0-9]+ bytes\\): $why \\(at \\+$off\\)' \"$f: left alone, why and where\""
done | lab_script odd.sh)
{
	cat <<'EOF'
ok "insmod kedr_sample target_name=lab_oddcode" insmod /lab/kedr_sample.ko target_name=lab_oddcode
ok "insmod lab_oddcode (its init runs each odd function: they work)" insmod /lab/lab_oddcode.ko
dmesg | grep '\[sample\] left alone' >/lab/odd.log
EOF
	cat "$odd"
	cat <<'EOF'
ok "rmmod lab_oddcode" rmmod lab_oddcode
like "$(grep 'entry: ' /sys/kernel/debug/kedr_sample/output)" '"lab_oddcode_init"' \
	"lab_oddcode_init, which called them, was instrumented and ran"
ok "rmmod kedr_sample" rmmod kedr_sample
EOF
} >"$TAP_TMP/odd-guest.sh"
odd=$TAP_TMP/odd-guest.sh

# Then the allocations. A case: FUNC NTH WHOLE ERE: the NTH call of FUNC
# made from kedr_sample fails; WHOLE: 1 if the target is refused as a
# whole, 0 if one function is left alone; ERE: what the log must say.
guest=$(lab_script no-memory.sh <<'EOF'
. /lab/tap.sh
. /lab/files/odd-guest.sh
D=/sys/kernel/debug/kedr_mech_target
P=/sys/module/lab_failcall/parameters
pick() { for n in "$@"; do grep -q " $n\$" /proc/kallsyms && { echo "$n"; return; }; done; }
KV=$(pick kvmalloc_node __kvmalloc_node_noprof)
VM=$(pick vmalloc vmalloc_noprof)
MA=$(pick module_alloc execmem_alloc)
works() {	# the target's uaccess fixups and static key, used
	echo -n hello >$D/uaccess && [ "$(cat $D/uaccess)" = hello ] &&
	echo 1 >$D/key && [ "$(cat $D/key)" = 1 ] && echo 0 >$D/key &&
	[ "$(cat $D/key)" = 0 ]
}
# fail FUNC NTH WHOLE MESSAGE-ERE
fail() {
	dmesg -c >/dev/null
	insmod /lab/kedr_sample.ko target_name=kedr_mech_target || return 1
	set -- "$@" $(awk '$1 == "kedr_sample" { print $6, $2 }' /proc/modules)
	insmod /lab/lab_failcall.ko func=$1 nth=$2 lo=$5 hi=$(printf 0x%x $(($5 + $6))) ||
		return 1
	ok "$1 call $2: the target loads" insmod /lab/kedr_mech_target.ko
	is "$(cat $P/failed)" 1 "$1 call $2: the call was made to fail"
	rmmod lab_failcall
	like "$(dmesg | grep '\[sample\]' | tr '\n' ' ')" "$4" "$1 call $2: the log says what happened"
	ok "$1 call $2: the target works" works
	if [ "$3" = 1 ]; then
		like "$(dmesg | grep '\[sample\]' | tail -1)" \
			'cannot instrument "kedr_mech_target" \(error -12\); it runs as it is' \
			"$1 call $2: the target is left as it is"
		is "$(cat /sys/kernel/debug/kedr_sample/functions)" "" \
			"$1 call $2: kedr_sample forgot it"
		ok "$1 call $2: kedr_sample unloads while the target stays" rmmod kedr_sample
		ok "$1 call $2: the target works without kedr_sample" works
		ok "$1 call $2: the target unloads" rmmod kedr_mech_target
	else
		like "$(dmesg | grep '\[sample\] instrumented')" 'instrumented [1-9][0-9]* functions' \
			"$1 call $2: the rest is instrumented"
		ok "$1 call $2: the target unloads" rmmod kedr_mech_target
		ok "$1 call $2: kedr_sample unloads" rmmod kedr_sample
	fi
	diag_cmd dmesg -c
}
# how many calls of $MA kedr_sample makes for this target (the last is the
# exception table)
insmod /lab/kedr_sample.ko target_name=kedr_mech_target
set -- $(awk '$1 == "kedr_sample" { print $6, $2 }' /proc/modules)
insmod /lab/lab_failcall.ko func=$MA nth=1000 lo=$1 hi=$(printf 0x%x $(($1 + $2)))
insmod /lab/kedr_mech_target.ko
NMA=$(cat $P/seen)
rmmod lab_failcall; rmmod kedr_mech_target; rmmod kedr_sample
diag "kedr_sample calls $MA $NMA times for kedr_mech_target"

fail $KV 1 1 'no memory for a table of [0-9]+ symbols'
fail kstrdup 1 1 'no memory for the name of '
fail $KV 2 1 'no memory for the [0-9]+ static key sites'
fail $KV 3 0 'left alone: [^ ]+ \([0-9]+ bytes\): out of memory'
fail $MA 1 1 'no memory for [0-9]+ sites'
fail $VM 1 1 'no memory for a scratch buffer of [0-9]+ bytes'
fail set_memory_ro 1 1 'cannot make the sites read-only \(error -12\)'
fail $MA $NMA 1 'no memory for an exception table of [0-9]+ entries'
EOF
)
lab_tap --timeout 300 --file "$odd" "$guest"

# ---- 3. big drivers --------------------------------------------------------
guest=$(lab_script big.sh <<EOF
. /lab/tap.sh
F=/sys/kernel/debug/kedr_sample/functions
for t in amdgpu i915; do
	dmesg -c >/dev/null
	ok "insmod kedr_sample target_name=\$t" insmod /lab/kedr_sample.ko target_name=\$t || continue
	s=\$(date +%s)
	ok "modprobe \$t" modprobe \$t
	all=\$(dmesg | sed -n 's/.*\[sample\] \([0-9]*\) functions, .*/\1/p')
	line=\$(dmesg | grep '\[sample\] instrumented')
	done=\$(echo "\$line" | sed -n 's/.*instrumented \([0-9]*\) functions, left alone \([0-9]*\);.*/\1/p')
	alone=\$(echo "\$line" | sed -n 's/.*left alone \([0-9]*\);.*/\1/p')
	is "\$((done + alone))" "\$all" "\$t: instrumented + left alone = its \$all functions"
	is "\$(grep -c ' instance ' \$F)" "\$done" "\$t: kedr_sample/functions lists \$done instances"
	case \$t in
	amdgpu) isnt "\$(grep -c 'no room' \$F)" 0 "amdgpu does not fit in the default area (the README says so)" ;;
	i915) is "\$(grep -c 'no room' \$F)" 0 "i915 fits in the default area (the README says so)" ;;
	esac
	echo "FIGURES \$t \$all functions, \$done instrumented (\$((done * 100 / all))%), \$(grep -c 'no room' \$F) without room; loaded in \$((\$(date +%s) - s)) s"
	diag_cmd dmesg | grep -E '\[sample\] (instrumented|left alone: [0-9])'
	ok "rmmod \$t" rmmod \$t
	ok "rmmod kedr_sample" rmmod kedr_sample
done
EOF
)
lab_tap --timeout 400 --mem 2048 --modules "amdgpu i915" "$guest"
out=$(ls -t "$TAP_TMP"/lab-*.out | head -1)
sed -n 's/^FIGURES /# /p' "$out"

done_testing
