#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/21-smp.t: kedr_sample under concurrency. Four processes, each
# pinned to its own CPU of a 4-CPU guest, call kedr_insn_target's kit_smp
# (test 21, sample_target/insn_target_asm.S) 1000 times each through
# kit_run. Per call the assembly makes 3 reads (kit_buffer, kit_tests[21],
# kit_smp's movl), 2 writes (kit_smp's movl, kit_result) and 1 locked update
# (kit_smp's lock xadd): [Totals] must be exactly 4000 times that, plus the
# events of the C glue (the module's init and exit, the debugfs open(),
# counted from the stored records). Every event is stored (num_records is
# large enough), entries equal exits in every TID, each process made its
# 1000 calls, and the lock xadd kept its atomicity: the counter it adds to
# grew by exactly 4000.
#
# Then the same with a store of 10 records, so that the stub's counting-only
# fast path does the work (with fast=0, the recorder in C): the totals
# must be the same. One lab run, --smp 4, about a minute: all of it with
# fast=1, then again with fast=0 (the simple instrumenter).

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

guest=$(lab_script smp.sh <<'GUEST'
. /lab/tap.sh
D=/sys/kernel/debug/kedr_insn_target
P=4		# processes
K=1000		# calls each
N=$((P * K))
is "$(nproc)" "$P" "the guest has $P CPUs"
for F in 1 0; do	# the fast instrumenter, then the simple one
diag "---- fast=$F"
ok "insmod kedr_sample" insmod /lab/kedr_sample.ko fast=$F target_name=kedr_insn_target \
	num_records=200000 || exit 0
ok "insmod kedr_insn_target" insmod /lab/kedr_insn_target.ko || exit 0

# counter: the u32 at offset 700 of the buffer, that kit_smp's lock xadd adds 1 to
counter() { od -A n -t u4 -j 700 -N 4 $D/data | tr -d ' '; }
workload() {
	p=0
	rm -f /lab/go
	while [ $p -lt $P ]; do
		# each process on its own CPU; it counts the calls that succeeded;
		# all start together, once the last one is there (/lab/go)
		taskset $((1 << p)) sh -c '
			while [ ! -e /lab/go ]; do :; done
			n=0; i=0
			while [ $i -lt '$K' ]; do
				echo 21 >'$D'/run && n=$((n + 1))
				i=$((i + 1))
			done
			echo $n >/lab/calls.'$p &
		p=$((p + 1))
	done
	touch /lab/go
	wait
}
before=$(counter)
workload
is "$(cat /lab/calls.*)" "$(printf '%s\n' $K $K $K $K)" "each process made $K calls"
is "$(counter)" "$((before + N))" "lock xadd stayed atomic: the counter grew by $N"
ok "rmmod kedr_insn_target" rmmod kedr_insn_target
cat /sys/kernel/debug/kedr_sample/output >/lab/out.txt
ok "rmmod kedr_sample" rmmod kedr_sample

# Count the records: per kind, per function group, per TID.
awk '
function kind(k) { return k == "read" ? 1 : k == "write" ? 2 : 3 }
/^\[Totals\]/ { gsub(/[;.]/, ""); t[1] = $3; t[2] = $5; t[3] = $8; next }
/^\[/ { next }	# [Totals while recording], [Store]
$2 == "entry:" || $2 == "exit:" {
	d[$1] += $2 == "entry:" ? 1 : -1
	if ($2 == "entry:" && $0 ~ /\("kit_run"\)/) { runs[$1]++; inrun[$1] = 1 }
	if ($2 == "exit:" && $0 ~ /\("kit_run"\)/) inrun[$1] = 0
	# another TID is inside kit_run: the calls overlapped
	if ($2 == "entry:" && $0 ~ /\("kit_run"\)/)
		for (o in inrun) if (o != $1 && inrun[o]) overlap++
	next
}
{
	match($0, /\([a-z_0-9]+\+/)
	f = substr($0, RSTART + 1, RLENGTH - 2)
	k = kind($2)
	stored[k]++
	if (f == "kit_run" || f == "kit_smp") test[k]++
	else if (f == "kit_init" || f == "kit_exit" || f == "kit_run_fops_open") glue[k]++
	else other[k]++
}
END {
	printf "totals %d %d %d\n", t[1], t[2], t[3]
	printf "stored %d %d %d\n", stored[1], stored[2], stored[3]
	printf "test %d %d %d\n", test[1], test[2], test[3]
	printf "glue %d %d %d\n", glue[1], glue[2], glue[3]
	printf "other %d %d %d\n", other[1], other[2], other[3]
	for (x in runs) r = r " " runs[x]
	printf "runs%s\n", r
	for (x in d) if (d[x] != 0) bad++
	printf "unbalanced %d\n", bad
	printf "overlap %d\n", overlap
}' /lab/out.txt >counts.txt
diag_cmd cat counts.txt
get() { sed -n "s/^$1 //p" counts.txt; }
set -- $(get glue)
g_r=$1 g_w=$2 g_l=$3
is "$(get test)" "$((3 * N)) $((2 * N)) $N" \
	"kit_run and kit_smp: $N calls x (3 reads, 2 writes, 1 locked update)"
is "$(get totals)" "$((3 * N + g_r)) $((2 * N + g_w)) $((N + g_l))" \
	"[Totals] = the calls' events + the C glue's ($g_r, $g_w, $g_l)"
is "$(get stored)" "$(get totals)" "every event counted was stored"
is "$(get other)" "0 0 0" "no event in any other function"
is "$(get runs)" "$K $K $K $K" "4 TIDs ran kit_run, $K times each"
is "$(get unbalanced)" "0" "entries equal exits in every TID"
isnt "$(get overlap)" "0" "calls from different CPUs overlapped"

# The same again with a store of 10 records: once it is full, the stub
# only counts (its fast path), and the totals must not change.
ok "insmod kedr_sample num_records=10" insmod /lab/kedr_sample.ko fast=$F \
	target_name=kedr_insn_target num_records=10 || exit 0
ok "insmod kedr_insn_target" insmod /lab/kedr_insn_target.ko || exit 0
workload
is "$(cat /lab/calls.*)" "$(printf '%s\n' $K $K $K $K)" "again, each process made $K calls"
ok "rmmod kedr_insn_target" rmmod kedr_insn_target
is "$(grep -c '^TID=' /sys/kernel/debug/kedr_sample/output)" "10" "10 events were stored"
is "$(head -1 /sys/kernel/debug/kedr_sample/output | tr -d '[:alpha:][]:;.' | tr -s ' ' | sed 's/^ //')" \
	"$(get totals)" "with the store full, [Totals] are the same as with every event stored"
ok "rmmod kedr_sample" rmmod kedr_sample
done
GUEST
)
lab_tap --smp 4 --timeout 400 "$guest"

done_testing
