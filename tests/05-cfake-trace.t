#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/05-cfake-trace.t: the cfake scenario (open, write, read, release,
# unload) under kedr_sample gives a trace whose entries and exits balance
# per task, whose pcs all resolve into the target, and whose 1-byte stores
# in cfake_write are exactly the bytes written, at the right offsets. The
# oracle is what the script wrote and where. One guest run: the scenario
# with fast=1, then with fast=0 (the simple instrumenter).

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

guest=$(lab_script cfake-trace.sh <<'GUEST'
for F in 1 0; do
echo "MODE $F"	# what follows is this mode's (the host splits the output)
insmod /lab/kedr_sample.ko target_name=kedr_sample_target num_records=100000 \
	fast=$F || exit 1
echo "FAST $(cat /sys/module/kedr_sample/parameters/fast)"
insmod /lab/kedr_sample_target.ko || exit 2
printf '0123456789' > /dev/cfake0                           # 10 bytes at 0
printf 'abcde' | dd of=/dev/cfake0 bs=1 seek=100 conv=notrunc 2>/dev/null   # 5 x 1 byte at 100..104
dd if=/dev/cfake0 bs=20 count=1 of=/dev/null 2>/dev/null    # 20 bytes read at 0
rmmod kedr_sample_target || exit 3
cat /sys/kernel/debug/kedr_sample/output
rmmod kedr_sample || exit 4
done
GUEST
)
lab_exec "$guest"
is "$LAB_STATUS" 0 "the guest run succeeded (exit 0, no kernel problem)" ||
	sed 's/^/# /' "$LAB_ERR" | tail -5
awk -v d="$TAP_TMP" '/^MODE [01]$/ { f = d "/part-" $2; next } f { print > f }' "$LAB_OUT"
for fast in 1 0; do
note "---- fast=$fast"
touch "$TAP_TMP/part-$fast"
is "$(sed -n 's/^FAST //p' "$TAP_TMP/part-$fast")" "$(if [ $fast = 1 ]; then echo Y; else echo N; fi)" \
	"kedr_sample ran with fast=$fast"
grep -E '^(\[Totals\]|TID=)' "$TAP_TMP/part-$fast" >"$TAP_TMP/trace"
like "$(head -1 "$TAP_TMP/trace")" '^\[Totals\]' "the output starts with [Totals], fast=$fast"

python3 - "$TAP_TMP/trace" >"$TAP_TMP/facts" <<'PY'
import re, sys
from collections import defaultdict
ev = re.compile(r'^TID=(0x[0-9a-f]+) (read|write|locked update) at 0x[0-9a-f]+ '
                r'\(([^+]+)\+0x([0-9a-f]+)/0x[0-9a-f]+ \[(\S+)\]\): addr=(0x[0-9a-f]+), size=(\d+)$')
fn = re.compile(r'^TID=(0x[0-9a-f]+) (entry|exit): addr=0x[0-9a-f]+ \("([^"]+)"\)$')
lines = open(sys.argv[1]).read().splitlines()
totals = re.match(r'\[Totals\] reads: (\d+); writes: (\d+); locked updates: (\d+)\.', lines[0])
depth = defaultdict(list)
bad_nesting = unresolved = 0
counts = defaultdict(int)
stores = []            # (addr) of 1-byte writes in cfake_write, in order
reads = []
for l in lines[1:]:
    m = fn.match(l)
    if m:
        tid, kind, name = m.groups()
        if kind == 'entry':
            depth[tid].append(name)
        elif not depth[tid] or depth[tid].pop() != name:
            bad_nesting += 1
        continue
    m = ev.match(l)
    if not m:
        unresolved += 1
        continue
    tid, kind, func, off, mod, addr, size = m.groups()
    counts[kind] += 1
    if mod != 'kedr_sample_target':
        unresolved += 1
    if func == 'cfake_write' and kind == 'write' and size == '1':
        stores.append(int(addr, 16))
    if func == 'cfake_read' and kind == 'read' and size == '1':
        reads.append(int(addr, 16))
print('totals_match', [int(x) for x in totals.groups()] ==
      [counts['read'], counts['write'], counts['locked update']])
print('open_frames', sum(len(v) for v in depth.values()))
print('bad_nesting', bad_nesting)
print('unresolved', unresolved)
base = stores[0] if stores else 0
print('stores', ' '.join(str(a - base) for a in stores))
print('reads', ' '.join(str(a - base) for a in reads))
PY
fact() { sed -n "s/^$1 //p" "$TAP_TMP/facts"; }
is "$(fact totals_match)" "True" "[Totals] equals the events listed (all were stored), fast=$fast"
is "$(fact open_frames)" "0" "every entry has its exit, per task, fast=$fast"
is "$(fact bad_nesting)" "0" "entries and exits nest properly, per task, fast=$fast"
is "$(fact unresolved)" "0" "every line parses and every pc resolves into [kedr_sample_target], fast=$fast"
is "$(fact stores)" "0 1 2 3 4 5 6 7 8 9 100 101 102 103 104" \
	"cfake_write's 1-byte stores cover exactly the bytes written, at their offsets, fast=$fast"
is "$(fact reads)" "$(seq -s ' ' 0 19)" "cfake_read's 1-byte loads cover exactly the bytes read, fast=$fast"
done

done_testing
