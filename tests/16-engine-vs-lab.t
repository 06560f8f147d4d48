#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/16-engine-vs-lab.t: the user-space engine (build/engine/engine, the
# regions of kedr_sample.c compiled in user space, with its own ELF loader,
# relocation, ftrace nops and function table) and kedr_sample in the lab
# kernel (the module loader, ftrace, the kernel's tables at COMING) must
# reach the same plan for the same .ko: the same functions instrumented and
# left alone, the same original and instrumented byte counts, the same
# number of sites. The kernel's figures come from its log line
# "[sample] instrumented N functions, left alone M; original code X bytes,
# instrumented code Y bytes (...), S sites". One guest run.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

engine_ready
# name in the guest, how the guest loads it, the .ko on the host
MODS="kedr_sample_target|insmod /lab/kedr_sample_target.ko|$(lab_modbuild)/sample_target/kedr_sample_target.ko
vfat|modprobe vfat|$K/fs/fat/vfat.ko
ext4|modprobe ext4|$K/fs/ext4/ext4.ko
xfs|modprobe xfs|$K/fs/xfs/xfs.ko"

guest=$(echo "$MODS" | while IFS='|' read -r name load ko; do
	cat <<G
insmod /lab/kedr_sample.ko target_name=$name || exit 1
$load || exit 2
echo "KERNEL $name \$(dmesg | grep '\[sample\] instrumented' | tail -1 | sed 's/.*\] //')"
rmmod $name || exit 3
rmmod kedr_sample || exit 4
G
done | lab_script engine-vs-lab.sh)
lab_exec --timeout 600 --modules "vfat ext4 xfs" "$guest"
is "$LAB_STATUS" 0 "the guest run succeeded (exit 0, no kernel problem)" ||
	sed 's/^/# /' "$LAB_ERR" | tail -5

re='instrumented ([0-9]+) functions, left alone ([0-9]+); original code ([0-9]+) bytes, instrumented code ([0-9]+) bytes .*, ([0-9]+) sites'
while IFS='|' read -r name load ko; do
	line=$(sed -n "s/^KERNEL $name //p" "$LAB_OUT" | head -1)
	if [[ $line =~ $re ]]; then
		kernel="${BASH_REMATCH[1]} instrumented, ${BASH_REMATCH[2]} left alone, ${BASH_REMATCH[3]} -> ${BASH_REMATCH[4]} bytes, ${BASH_REMATCH[5]} sites"
	else
		kernel="no log line: $line"
	fi
	user=$("$TAP_TOP/build/engine/engine" check -v "$ko" |
		sed -n 's/^[^ ]*: \([0-9]*\) functions, \([0-9]*\) instrumented, \([0-9]*\) -> \([0-9]*\) bytes, \([0-9]*\) sites, 0 mismatches$/\2 \1 \3 \4 \5/p' |
		awk '{printf "%d instrumented, %d left alone, %d -> %d bytes, %d sites", $1, $2 - $1, $3, $4, $5}')
	is "$user" "$kernel" "$name: the user-space engine plans what kedr_sample did in the lab"
done <<<"$MODS"

done_testing
