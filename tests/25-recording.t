#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/25-recording.t: what the store keeps. The switch (debugfs
# kedr_sample/recording, parameter recording) and keep=first|last (the
# ring), in both fast modes.
#
# The oracle is a reference load of the same calls of kedr_insn_target
# with recording on from the start and a store that holds everything: its
# records, cut into one block per "echo N > run" (each starts with the
# entry of kit_run_fops_open), and its [Totals]. Records are compared as
# "kind function+offset size" (the TIDs and the addresses of the kmalloc'd
# buffer differ from load to load).
#
#   - recording=0, switched on around calls 3-4 and 6 of 8 (and garbage
#     written to the switch while it is on): exactly the blocks of those
#     calls are stored, in order, nothing of the module's init or exit;
#     [Totals] is the reference's (everything counted); [Totals while
#     recording] counts exactly the stored reads, writes, locked updates;
#     the same with keep=last;
#   - keep=last num_records=7 and 40: the last 7, 40 records of the
#     reference, in order, and "[Store] ... N stored, M overwritten, 0 lost";
#     keep=first num_records=40: the first 40, and how many were not stored;
#   - bad input: the switch written with "2", "1x", "11", "on", " 1", "0 ",
#     "1\n\n" fails with EINVAL and changes nothing; keep=middle and
#     recording=maybe fail insmod with a message;
#   - 4 CPUs: four processes call kit_smp (test 21) while two others turn
#     the switch on and off as fast as they can, with keep=first and with
#     keep=last num_records=64 (the ring wraps all the time): no oops or
#     WARN, [Totals] exactly those of a run without switching, every record
#     well formed, the ring's stored + lost = 64.
#
# Two lab runs, about 30 s and a minute; each does its loads with fast=1,
# then with fast=0.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

ko=$(lab_modbuild)/kedr_sample.ko
ok "kedr_sample.ko is built (make lab-modules)" test -f "$ko" || done_testing

# ---- run 1: exact records, the ring, bad input (2 CPUs) -------------------
guest=$(lab_script recording.sh <<'GUEST'
. /lab/tap.sh
D=/sys/kernel/debug/kedr_insn_target
R=/sys/kernel/debug/kedr_sample/recording
taskset -p 1 $$ >/dev/null	# kit_percpu's accesses are CPU 0's

# bad: write bytes (printf %b) to the switch; it must fail, state unchanged
bad() {
	before=$(cat $R)
	if printf '%b' "$1" >$R 2>/dev/null; then
		fail "writing '$1' to recording fails"
	else
		pass "writing '$1' to recording fails (EINVAL)"
	fi
	is "$(cat $R)" "$before" "and leaves recording at $before"
}

# the 8 calls; with "toggle", recording on around calls 3-4 and 6 (from 1)
calls() {
	i=1
	for t in 21 0 1 2 3 4 5 6; do
		if [ "$1" = toggle ]; then
			case $i in
			3 | 6) ok "echo 1 > recording (call $i)" sh -c "echo 1 >$R" ;;
			5 | 7) ok "echo 0 > recording (call $i)" sh -c "echo 0 >$R" ;;
			esac
			if [ $i = 4 ]; then
				is "$(cat $R)" 1 "recording reads 1 while on"
				ok "echo 1 > recording while on changes nothing" sh -c "echo 1 >$R"
				for v in 2 1x 11 on ' 1' '0 ' '1\\n\\n'; do bad "$v"; done
			fi
		fi
		echo $t >$D/run || fail "echo $t > run"
		i=$((i + 1))
	done
}

# load TAG PARAMS...: a load of kedr_sample, the target, the calls; output as "OUT TAG ..."
load() {
	tag=$1 how=$2
	shift 2
	ok "insmod kedr_sample $* ($tag)" insmod /lab/kedr_sample.ko \
		target_name=kedr_insn_target "$@" || exit 0
	ok "insmod kedr_insn_target ($tag)" insmod /lab/kedr_insn_target.ko || exit 0
	calls $how
	ok "rmmod kedr_insn_target ($tag)" rmmod kedr_insn_target
	sed "s/^/OUT $tag /" /sys/kernel/debug/kedr_sample/output
	ok "rmmod kedr_sample ($tag)" rmmod kedr_sample
}

for F in 1 0; do
	load ref-$F plain fast=$F num_records=100000
	load first-$F toggle fast=$F num_records=100000 recording=0
	load last-$F toggle fast=$F num_records=100000 recording=0 keep=last
	load last7-$F plain fast=$F num_records=7 keep=last
	load last40-$F plain fast=$F num_records=40 keep=last
	load first40-$F plain fast=$F num_records=40 keep=first
done

# the parameters
ok "insmod kedr_sample keep=last" insmod /lab/kedr_sample.ko target_name=kedr_insn_target \
	keep=last recording=0
is "$(cat /sys/module/kedr_sample/parameters/keep)" last "modinfo's keep reads last"
is "$(cat $R)" 0 "recording=0: the switch reads 0"
ok "rmmod kedr_sample" rmmod kedr_sample
for p in keep=middle recording=maybe; do
	dmesg -c >/dev/null
	if insmod /lab/kedr_sample.ko target_name=kedr_insn_target $p 2>/dev/null; then
		fail "insmod kedr_sample $p fails"
		rmmod kedr_sample
	else
		pass "insmod kedr_sample $p fails"
	fi
	log=$(dmesg)
	like "$log" "invalid for parameter .${p%%=*}'" "and the kernel says so ($p)"
	if [ $p = keep=middle ]; then
		like "$log" 'keep is "middle"; it must be "first" or "last"' \
			"keep=middle: kedr_sample says what keep may be"
	fi
done
exit $tap_failed
GUEST
)

lab_exec --timeout 300 "$guest"
note "lab run: $LAB_SECONDS s"
is "$LAB_STATUS" 0 "lab run clean (exit 0, no oops/WARNING)" || diag "$(tail -n 15 "$LAB_ERR" "$LAB_OUT")"
grep -v '^OUT ' "$LAB_OUT" | while IFS= read -r line; do
	case $line in
	'ok - '*) echo "PASS ${line#ok - }" ;;
	'not ok - '*) echo "FAIL ${line#not ok - }" ;;
	esac
done >"$TAP_TMP/guest1"
grep '^OUT ' "$LAB_OUT" >"$TAP_TMP/out1"

# ---- run 2: 4 CPUs, the switch turned while the target runs ---------------
guest=$(lab_script recording-smp.sh <<'GUEST'
. /lab/tap.sh
D=/sys/kernel/debug/kedr_insn_target
R=/sys/kernel/debug/kedr_sample/recording
P=4 K=200
is "$(nproc)" "$P" "the guest has $P CPUs"
# a well-formed record line
good='^TID=0x[0-9a-f]+ ((entry|exit): addr=0x[0-9a-f]+ \("[a-z_0-9]+"\)|(read|write|locked update) at 0x[0-9a-f]+ \([a-z_0-9]+\+0x[0-9a-f]+/0x[0-9a-f]+ \[kedr_insn_target\]\): addr=0x[0-9a-f]+, size=[0-9]+)$'
for F in 1 0; do
for mode in ref first last; do
	tag=$mode-$F
	case $mode in
	ref) args="num_records=200000" ;;
	first) args="num_records=200000 recording=0" ;;
	last) args="num_records=64 keep=last recording=0" ;;
	esac
	# shellcheck disable=SC2086
	ok "insmod kedr_sample fast=$F $args" insmod /lab/kedr_sample.ko \
		target_name=kedr_insn_target fast=$F $args || exit 0
	ok "insmod kedr_insn_target ($tag)" insmod /lab/kedr_insn_target.ko || exit 0
	rm -f /lab/go /lab/stop /lab/toggles.*
	if [ $mode != ref ]; then
		for q in 0 1; do	# two togglers, on CPUs 2 and 3, beside the callers
			taskset $((4 << q)) sh -c '
				while [ ! -e /lab/go ]; do :; done
				n=0
				while [ ! -e /lab/stop ]; do
					echo 1 >'$R' && echo 0 >'$R' && n=$((n + 2))
				done
				echo $n >/lab/toggles.'$q &
		done
	fi
	p=0
	while [ $p -lt $P ]; do
		taskset $((1 << p)) sh -c '
			while [ ! -e /lab/go ]; do :; done
			i=0
			while [ $i -lt '$K' ]; do
				echo 21 >'$D'/run; i=$((i + 1))
			done' &
		eval "w$p=\$!"
		p=$((p + 1))
	done
	touch /lab/go
	wait $w0 $w1 $w2 $w3
	touch /lab/stop
	wait
	# shellcheck disable=SC2046 # one line
	[ $mode = ref ] || echo "TOGGLES $tag" $(cat /lab/toggles.*)
	ok "rmmod kedr_insn_target ($tag)" rmmod kedr_insn_target
	# not all of it through the serial console (thousands of lines; on
	# 6.1-rt its interrupt thread gets throttled): the lines that are not
	# records, and how many records are well formed and how many not
	o=/lab/out.$tag
	cat /sys/kernel/debug/kedr_sample/output >$o
	grep '^\[' $o | sed "s/^/OUT $tag /"
	echo "RECORDS $tag $(grep -Ec "$good" $o) $(grep -Evc "$good|^\[" $o)"
	ok "rmmod kedr_sample ($tag)" rmmod kedr_sample
done
done
GUEST
)

lab_exec --smp 4 --timeout 400 "$guest"
note "lab run: $LAB_SECONDS s"
is "$LAB_STATUS" 0 "lab run clean (exit 0, no oops/WARNING), 4 CPUs" || diag "$(tail -n 15 "$LAB_ERR" "$LAB_OUT")"
grep -v '^OUT \|^TOGGLES \|^RECORDS ' "$LAB_OUT" | while IFS= read -r line; do
	case $line in
	'ok - '*) echo "PASS ${line#ok - } (4 CPUs)" ;;
	'not ok - '*) echo "FAIL ${line#not ok - } (4 CPUs)" ;;
	esac
done >>"$TAP_TMP/guest1"
grep '^OUT \|^TOGGLES \|^RECORDS ' "$LAB_OUT" >"$TAP_TMP/out2"

while IFS= read -r line; do
	case $line in
	PASS*) pass "${line#PASS }" ;;
	FAIL*) fail "${line#FAIL }" ;;
	esac
done <"$TAP_TMP/guest1"

# ---- the records, against the reference ----------------------------------
python3 - "$TAP_TMP/out1" "$TAP_TMP/out2" >"$TAP_TMP/checks" 2>&1 <<'PY' || echo "FAIL the checker ran to the end" >>"$TAP_TMP/checks"
import re, sys
from collections import defaultdict

acc = re.compile(r'TID=0x[0-9a-f]+ (read|write|locked update) at 0x[0-9a-f]+ '
                 r'\((\S+) \[kedr_insn_target\]\): addr=0x[0-9a-f]+, size=(\d+)$')
fn = re.compile(r'TID=0x[0-9a-f]+ (entry|exit): addr=0x[0-9a-f]+ \("(\S+)"\)$')
tot = re.compile(r'\[Totals\] reads: (\d+); writes: (\d+); locked updates: (\d+)\.$')
rec = re.compile(r'\[Totals while recording\] reads: (\d+); writes: (\d+); locked updates: (\d+)\.$')
store = re.compile(r'\[Store\] keep=(first|last) num_records=(\d+): (\d+) stored, (\d+) '
                   r'(not stored \(the store was full\)|overwritten, (\d+) lost)\.$')

def load(path):
    runs = defaultdict(lambda: {'recs': [], 'bad': [], 'totals': None, 'rec': None, 'store': None,
                                'n': None})
    toggles = {}
    for l in open(path):
        l = l.rstrip('\n')
        if l.startswith('RECORDS '):
            _, tag, n, nbad = l.split()
            runs[tag]['n'] = int(n)
            if int(nbad):
                runs[tag]['bad'].append('%s lines neither records nor [...] lines' % nbad)
            continue
        if l.startswith('TOGGLES '):
            _, tag, *n = l.split()
            toggles[tag] = [int(x) for x in n]
            continue
        _, tag, line = l.split(' ', 2)
        r = runs[tag]
        m = acc.match(line)
        if m:
            r['recs'].append('%s %s %s' % m.groups())
            continue
        m = fn.match(line)
        if m:
            r['recs'].append('%s %s' % m.groups())
            continue
        for key, rx in (('totals', tot), ('rec', rec), ('store', store)):
            m = rx.match(line)
            if m:
                r[key] = m.groups()
                break
        else:
            r['bad'].append(line)
    return runs, toggles

def check(cond, what, why=''):
    print('%s %s' % ('PASS' if cond else 'FAIL', what))
    if not cond and why:
        for w in str(why).splitlines()[:6]:
            print('# ' + w)

def counts(recs):
    c = [0, 0, 0]
    for r in recs:
        k = r.split()[0]
        if k in ('read', 'write', 'locked'):
            c[('read', 'write', 'locked').index(k)] += 1
    return tuple(str(x) for x in c)

def diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return 'record %d: %s\n   wanted: %s' % (i, x, y)
    return 'lengths %d and %d' % (len(a), len(b))

runs, _ = load(sys.argv[1])
for F in '1', '0':
    ref = runs['ref-' + F]
    ok = all(ref[k] for k in ('totals', 'rec', 'store')) and not ref['bad']
    check(ok, 'fast=%s: the reference output has [Totals], [Totals while recording], [Store] and records only' % F,
          '\n'.join(ref['bad']))
    if not ok:
        continue
    check(ref['rec'] == ref['totals'], 'fast=%s: recording from the start, [Totals while recording] = [Totals]' % F)
    # cut into: the init's records, 8 calls, the exit's
    starts = [i for i, r in enumerate(ref['recs']) if r == 'entry kit_run_fops_open']
    ends = [i for i, r in enumerate(ref['recs']) if r == 'entry kit_exit']
    check(len(starts) == 8 and len(ends) == 1, 'fast=%s: the reference has 8 calls (%d) and an exit' % (F, len(starts)))
    if len(starts) != 8 or len(ends) != 1:
        continue
    bounds = starts + ends
    blocks = [ref['recs'][bounds[i]:bounds[i + 1]] for i in range(8)]
    n = len(ref['recs'])
    check(ref['store'] == ('first', '100000', str(n), '0', 'not stored (the store was full)', None),
          'fast=%s: reference: [Store] keep=first num_records=100000: %d stored, 0 not stored' % (F, n), ref['store'])
    want = blocks[2] + blocks[3] + blocks[5]
    for keep in 'first', 'last':
        r = runs['%s-%s' % (keep, F)]
        tag = 'fast=%s keep=%s, switched on around calls 3-4 and 6' % (F, keep)
        check(not r['bad'], tag + ': every line of the output has its format', '\n'.join(r['bad']))
        check(r['recs'] == want, tag + ': exactly those calls\' %d records are stored, in order' % len(want),
              diff(r['recs'], want))
        check(r['totals'] == ref['totals'], tag + ': [Totals] = the reference\'s (every event counted)',
              '%s %s' % (r['totals'], ref['totals']))
        check(r['rec'] == counts(want), tag + ': [Totals while recording] = the stored reads, writes, locked updates %s'
              % (counts(want),), r['rec'])
        if keep == 'first':
            st = ('first', '100000', str(len(want)), '0', 'not stored (the store was full)', None)
        else:
            st = ('last', '100000', str(len(want)), '0', 'overwritten, 0 lost', '0')
        check(r['store'] == st, tag + ': [Store] says %s stored, none dropped' % len(want), r['store'])
    for keep, N in ('last', 7), ('last', 40), ('first', 40):
        r = runs['%s%d-%s' % (keep, N, F)]
        tag = 'fast=%s keep=%s num_records=%d' % (F, keep, N)
        check(not r['bad'], tag + ': every line of the output has its format', '\n'.join(r['bad']))
        want = ref['recs'][-N:] if keep == 'last' else ref['recs'][:N]
        check(r['recs'] == want, tag + ': the %s %d records of the reference, in order' % (keep, N),
              diff(r['recs'], want))
        check(r['totals'] == ref['totals'] and r['rec'] == ref['totals'], tag + ': [Totals] (both lines) = the reference\'s')
        if keep == 'last':
            st = ('last', str(N), str(N), str(n - N), 'overwritten, 0 lost', '0')
        else:
            st = ('first', str(N), str(N), str(n - N), 'not stored (the store was full)', None)
        check(r['store'] == st, tag + ': [Store] says %d stored, %d %s' % (N, n - N, st[4].split(',')[0]), r['store'])

runs, toggles = load(sys.argv[2])
for F in '1', '0':
    ref = runs['ref-' + F]
    check(ref['totals'] and not ref['bad'] and ref['rec'] == ref['totals'] and ref['n'] and
          ref['store'] and int(ref['store'][2]) == ref['n'],
          'fast=%s, 4 CPUs, not switched: [Totals] %s, %s records, every line well formed'
          % (F, ref['totals'], ref['n']), '\n'.join(ref['bad']))
    for keep in 'first', 'last':
        tag = 'fast=%s keep=%s, 4 CPUs, switched all along' % (F, keep)
        r = runs['%s-%s' % (keep, F)]
        t = toggles.get('%s-%s' % (keep, F), [])
        check(len(t) == 2 and min(t) >= 10, tag + ': two togglers switched (%s times)' % t)
        check(not r['bad'] and r['totals'] and r['rec'] and r['store'], tag + ': every line of the output has its format',
              '\n'.join(r['bad']))
        if not r['store']:
            continue
        check(r['totals'] == ref['totals'], tag + ': [Totals] exactly the unswitched run\'s %s' % (ref['totals'],),
              r['totals'])
        check(all(int(a) <= int(b) for a, b in zip(r['rec'], r['totals'])) and r['rec'] != r['totals'],
              tag + ': [Totals while recording] %s: less than [Totals]' % (r['rec'],))
        check(int(r['store'][2]) == r['n'] and r['n'] > 0,
              tag + ': [Store] says %s stored, as many records are shown' % r['store'][2])
        if keep == 'last':
            check(int(r['store'][2]) + int(r['store'][5]) == 64, tag + ': stored + lost = 64 (%s + %s)'
                  % (r['store'][2], r['store'][5]))
PY
while IFS= read -r line; do
	case $line in
	PASS*) pass "${line#PASS }" ;;
	FAIL*) fail "${line#FAIL }" ;;
	'#'*) diag "${line#\# }" ;;
	*) diag "$line" ;;
	esac
done <"$TAP_TMP/checks"

done_testing
