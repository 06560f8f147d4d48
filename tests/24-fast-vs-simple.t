#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/24-fast-vs-simple.t: the simple instrumenter (fast=0) and the fast
# one (fast=1) record the same thing. The same deterministic workloads run
# under both, in one guest, from one shell (so one task, one kernel stack):
#
#   insn   every test of kedr_insn_target (kit_tests, 0..26) and its
#          midjump (the int3 redirect), pinned to CPU 0
#   cfake  the cfake scenario of tests/05-cfake-trace.t
#
# each with a store that holds every event, and with a store of 40 records
# (then fast=1 counts inline and in its stub's shortcut, fast=0 in C).
# What must be equal, mode against mode: [Totals]; the entries and exits
# counted (the "is going" line of the log); and the records, line by line,
# once what legitimately differs between two loads is named rather than
# printed:
#
#   - the pc of a record is printed as an address of the target's
#     original code, which moves when the target is loaded again: the
#     symbolic form beside it (func+off/size [module]) is compared;
#   - an accessed address in the target's own sections (its .data, .bss,
#     .rodata...) is compared as section+offset, from
#     /sys/module/TARGET/sections of each load;
#   - any other address (kmalloc'd memory, the stack, the module's per-cpu
#     area) is renamed in order of first appearance within each call from
#     outside the target (A1, A2, ... from each top-level entry on): the
#     same pattern of equal and different values must come out. Not
#     across such calls: whether the allocator hands out again the memory
#     an earlier call saw freed is up to it, not to kedr_sample;
#   - the TID, the address of a task_struct, is left out: whether insmod,
#     the shell and rmmod get the same one again is up to the allocator too;
#   - addresses of the kernel's own image are the same across loads and
#     compared as they are.
#
# The instances, where the two modes do differ, never appear in the output:
# records name the original instructions. One lab run, about 30 s.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

guest=$(lab_script fast-vs-simple.sh <<'GUEST'
. /lab/tap.sh
D=/sys/kernel/debug/kedr_insn_target
O=/sys/kernel/debug/kedr_sample/output
taskset -p 1 $$ >/dev/null

# sections TARGET: "SEC name addr" for each section of the loaded target
sections() {
	for s in /sys/module/$1/sections/.*; do
		[ -f "$s" ] || continue
		echo "SEC $(basename "$s") $(cat "$s")"
	done
}

insn() {
	i=0
	while [ $i -lt 27 ]; do
		echo $i >$D/run || echo "run $i failed"
		i=$((i + 1))
	done
	echo 1 >$D/midjump
}

cfake() {
	printf '0123456789' >/dev/cfake0
	printf 'abcde' | dd of=/dev/cfake0 bs=1 seek=100 conv=notrunc 2>/dev/null
	dd if=/dev/cfake0 bs=20 count=1 of=/dev/null 2>/dev/null
}

# run WORKLOAD TARGET KO FAST NUM_RECORDS
run() {
	v="$1 fast=$4 num_records=$5"
	ok "$v: insmod kedr_sample" insmod /lab/kedr_sample.ko target_name=$2 \
		fast=$4 num_records=$5 || return
	ok "$v: insmod $3" insmod /lab/$3.ko || { rmmod kedr_sample; return; }
	sections $2 | sed "s/^/V $v /"
	$1
	ok "$v: rmmod $2" rmmod $2
	sed "s/^/V $v OUT /" $O
	dmesg | grep "target \"$2\" is going" | tail -1 | sed "s/^/V $v GOING /"
	ok "$v: rmmod kedr_sample" rmmod kedr_sample
}

for n in 100000 40; do
	for f in 1 0; do
		run insn kedr_insn_target kedr_insn_target $f $n
		run cfake kedr_sample_target kedr_sample_target $f $n
	done
done
exit 0
GUEST
)
lab_exec --timeout 240 "$guest"
note "lab run: $LAB_SECONDS s"
is "$LAB_STATUS" 0 "lab run clean (exit 0, no oops/WARNING)" ||
	diag "$(tail -n 15 "$LAB_ERR" "$LAB_OUT")"
while IFS= read -r line; do	# the guest's own assertions
	case $line in
	'ok - '*) pass "${line#ok - }" ;;
	'not ok - '*) fail "${line#not ok - }" ;;
	'# '*) diag "${line#\# }" ;;
	esac
done <"$LAB_OUT"

# normalize VARIANT: that variant's records, in the form described above
python3 - "$LAB_OUT" >"$TAP_TMP/norm" <<'PY'
import re, sys
from collections import defaultdict
lines = open(sys.argv[1], errors='replace').read().splitlines()
pre = re.compile(r'^V (\w+ fast=\d num_records=\d+) (SEC|OUT|GOING) ?(.*)$')
sec = defaultdict(list)
out = defaultdict(list)
going = {}
for l in lines:
    m = pre.match(l)
    if not m:
        continue
    v, kind, rest = m.groups()
    if kind == 'SEC':
        name, addr = rest.split()	# a section of the target, and its address
        sec[v].append((int(addr, 16), name))
    elif kind == 'OUT':
        out[v].append(rest)
    else:
        going[v] = re.sub(r'.* is going: ', '', rest)
acc = re.compile(r'^TID=(0x[0-9a-f]+) (read|write|locked update) at 0x[0-9a-f]+ '
                 r'\((\S+ \[\S+\])\): addr=(0x[0-9a-f]+), size=(\d+)$')
fn = re.compile(r'^TID=(0x[0-9a-f]+) (entry|exit): addr=0x[0-9a-f]+ (\("[^"]+"\))$')
for v in sorted(out):
    secs = sorted(sec[v])
    names = {}
    def rename(x, p):
        if (p, x) not in names:
            names[(p, x)] = '%s%d' % (p, sum(1 for k in names if k[0] == p) + 1)
        return names[(p, x)]
    def where(a):
        a = int(a, 16)
        if a >= 0xffffffffc0000000:	# the module area: the target's sections?
            best = None
            for start, name in secs:
                if start <= a and a - start < (1 << 20):
                    best = (name, a - start)
            if best:
                return '%s+0x%x' % best
            return rename(a, 'A')
        if a >= 0xffffffff80000000:	# the kernel's image
            return hex(a)
        return rename(a, 'A')
    print('%s GOING %s' % (v, going.get(v, '(none)')))
    depth = defaultdict(int)
    for l in out[v]:
        m = acc.match(l)
        if m:
            tid, kind, pc, addr, size = m.groups()
            print('%s %s at %s: %s, %s' % (v, kind, pc, where(addr), size))
            continue
        m = fn.match(l)
        if m:
            tid, kind, name = m.groups()
            if kind == 'entry':
                if depth[tid] == 0:		# a call from outside: names afresh
                    names.clear()
                depth[tid] += 1
            else:
                depth[tid] = max(depth[tid] - 1, 0)
            print('%s %s %s' % (v, kind, name))
            continue
        print('%s %s' % (v, l))	# [Totals], or a line that does not parse
PY
cp "$TAP_TMP/norm" "$TAP_TOP/build/test-logs/24-fast-vs-simple.norm" 2>/dev/null
norm() { grep "^$1 fast=$2 num_records=$3 " "$TAP_TMP/norm" | cut -d' ' -f4-; }

for w in insn cfake; do
	for n in 100000 40; do
		norm $w 1 $n >"$TAP_TMP/$w-1-$n"
		norm $w 0 $n >"$TAP_TMP/$w-0-$n"
		records=$(grep -c ' at \| entry \| exit ' "$TAP_TMP/$w-1-$n")
		ok "$w, num_records=$n: fast=1 stored events ($records)" test "$records" -gt 0
		if cmp -s "$TAP_TMP/$w-1-$n" "$TAP_TMP/$w-0-$n"; then
			pass "$w, num_records=$n: fast=0 and fast=1 give the same totals, counts and records"
		else
			fail "$w, num_records=$n: fast=0 and fast=1 give the same totals, counts and records"
			diff "$TAP_TMP/$w-1-$n" "$TAP_TMP/$w-0-$n" | head -20 | sed 's/^/# /' >&2
		fi
	done
	is "$(grep -v '^GOING' "$TAP_TMP/$w-1-40" | head -1)" \
		"$(grep -v '^GOING' "$TAP_TMP/$w-1-100000" | head -1)" \
		"$w: the same [Totals] with 40 records stored as with all of them"
	is "$(sed -n 's/^GOING \(.*\);.*/\1/p' "$TAP_TMP/$w-1-40")" \
		"$(sed -n 's/^GOING \(.*\);.*/\1/p' "$TAP_TMP/$w-1-100000")" \
		"$w: the same events counted with 40 records stored as with all of them"
	is "$(grep -vc '^GOING\|^\[' "$TAP_TMP/$w-1-40")" 40 "$w: 40 records stored"
	is "$(grep -v '^GOING\|^\[' "$TAP_TMP/$w-1-40")" \
		"$(grep -v '^GOING\|^\[' "$TAP_TMP/$w-1-100000" | head -40)" \
		"$w: the 40 stored are the first 40 of the full run"
done

done_testing
