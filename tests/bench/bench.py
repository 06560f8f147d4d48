#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench.py - kedr_sample's benchmarks (`make bench`); not tests.

Runs, side by side in one go:
  1. run time, in three places: the lab's kernel (kedr_sample and
     kedr_bench_target, one boot; the CPU is QEMU TCG), the lab's user space
     (tests/bench/hostbench: the same emitter in user space, on the same
     emulated CPU) and the host's CPU (hostbench again). Each figure is a
     ratio of two runs made one right after the other:
       - what it costs: instrumented / plain, fast=0 and fast=1, counting
         only (the store full) and with the store not full;
       - what each speed-up of fast=1 buys: before / after, on the loops
         "live" (the flags live at every access: every event goes to the
         stub) and "dead" (the same instructions, flags dead: fast=1 counts
         inline). kedr_sample has one switch, fast, so the lab's kernel
         shows the steps it can (fast=0 / fast=1 on live, live / dead);
         hostbench shows each step alone, by pointing the calls at
         intermediate stubs and writing the inline counts as INC;
  2. instrumentation speed in user space: build/engine/engine bench
     (decode + plan + emit of every function of the corpus vs Capstone
     decoding the same bytes), fast=1 and fast=0;
  3. code growth per module (from the same engine run);
  4. the time to load ext4 plain and with kedr_sample instrumenting it.
Each figure is the median of the ratios of the repetitions, with their
spread (min..max). Prints everything and writes two tables to
build/bench/results.md.

  bench.py [--reps N] [--engine-reps N] [--no-lab] [--no-engine] [--corpus DIR]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(TOP, 'build', 'bench')
NBUF = 200          # passes over 4096 elements: 4 events each -> 3.28 M events
NCHASE = 1600000    # steps: 2 events each -> 3.2 M events (a store of 4194304 holds them)
PLAIN_SCALE = 20    # plain runs do 20 times as much work (they are short)
COUNT_SCALE = 5     # counting-only runs 5 times (the store-not-full ones must fit the store)
GUEST_DIV = 2       # hostbench in the lab does half the host's work
STORE = 4194304
# How kedr_sample is loaded in the lab, one run each per workload and
# repetition, after the plain run: (mode, parameters, what, fast). The rows
# (cost) are made from this list: one more configuration (e.g. a ring that
# keeps the last events) is one more line here, and the mode name with
# "0" appended for its fast=0 twin.
KEDR_MODES = [
    ('count', 'num_records=1', 'counting only', 1),            # the store is full at once
    ('store', 'num_records=%d' % STORE, 'store not full', 1),   # it holds every event
    ('count0', 'num_records=1 fast=0', 'counting only', 0),     # the same, simple
    ('store0', 'num_records=%d fast=0' % STORE, 'store not full', 0),
    ('ring', 'num_records=65536 keep=last', 'keep=last, a ring of 65536 (never full)', 1),
]


def spread(v):
    return '%.2f..%.2f' % (min(v), max(v))


def cell(before, after):
    """median (min..max) of before[i] / after[i], or a dash"""
    if not before or not after:
        return '-', None
    r = [b / a for b, a in zip(before, after)]
    return '**%.1fx** (%s)' % (statistics.median(r), spread(r)), statistics.median(r)


def run_engine(reps, corpus, fast):
    eng = os.path.join(TOP, 'build', 'engine', 'engine')
    t = time.time()
    p = subprocess.run([eng, 'bench', '-f', str(fast), '-r', str(reps), corpus],
                       capture_output=True, text=True, check=True)
    print(p.stdout, end='')
    print('# engine bench: %.0f s wall' % (time.time() - t))
    fig = dict(re.findall(r'^BENCH (\S+) (\S+)$', p.stdout, re.M))
    fig['ratios'] = [float(x) for x in re.findall(r'ratio ([0-9.]+)$', p.stdout, re.M)]
    fig['worst_module'] = re.search(r'^worst growth: (\S+)', p.stdout, re.M).group(1)
    return fig


def run_lab(reps):
    script = open(os.path.join(TOP, 'tests', 'bench', 'guest-bench.sh')).read()
    runs = '\n'.join('\t\trun %s $w $i "%s"' % (m, args) for m, args, _, _ in KEDR_MODES)
    for k, v in (('REPS', reps), ('NBUF', NBUF), ('NCHASE', NCHASE), ('PLAIN_SCALE', PLAIN_SCALE),
                 ('COUNT_SCALE', COUNT_SCALE), ('DIV', GUEST_DIV), ('RUNS', runs)):
        script = script.replace('@%s@' % k, str(v))
    path = os.path.join(OUT, 'guest-bench.sh')
    with open(path, 'w') as f:
        f.write(script)
    t = time.time()
    p = subprocess.run([os.path.join(TOP, 'tests', 'vm', 'run'), '--timeout', '2400', '--mem', '1536',
                        '--modules', 'ext4', '--file', os.path.join(OUT, 'timeit'),
                        '--file', os.path.join(OUT, 'hostbench-static'),
                        '--file', os.path.join(OUT, 'workload.o'), path],
                       capture_output=True, text=True)
    with open(os.path.join(OUT, 'lab.log'), 'w') as f:
        f.write(p.stdout + p.stderr)
    print('# lab run: exit %d, %.0f s wall (log: build/bench/lab.log)' % (p.returncode, time.time() - t))
    if p.returncode:
        print(p.stdout[-3000:], p.stderr[-2000:])
        sys.exit('the lab run failed')
    t = {}
    # RESULT mode rep workload n ns=... events=...: ns per event
    for m in re.finditer(r'^RESULT (\w+) \d+ (\w+) \d+ ns=(\d+) events=(\d+)', p.stdout, re.M):
        t.setdefault(('k', m.group(2) + '.' + m.group(1)), []).append(int(m.group(3)) / int(m.group(4)))
    for m in re.finditer(r'^UTIME([01]) (\S+) \d+ (\S+)$', p.stdout, re.M):
        t.setdefault(('u' + m.group(1), m.group(2)), []).append(float(m.group(3)))
    # every event of the timed run counted (and, with the store not full, stored)
    for m in re.finditer(r'^TOTALS (\w+) (\w+) (\d+) \[Totals\] reads: (\d+); writes: (\d+); '
                         r'locked updates: (\d+)', p.stdout, re.M):
        n = int(m.group(4)) + int(m.group(5)) + int(m.group(6))
        if n < int(m.group(3)):
            sys.exit('lab: %s %s counted %d events, the loop made %s' % (m.group(1), m.group(2), n, m.group(3)))
        if m.group(1).startswith('store') and n >= STORE:
            sys.exit('the store was full: lower NBUF/NCHASE')
    load = {}
    for m in re.finditer(r'^LOAD (\w+) ns=(\d+) status=(\d+)', p.stdout, re.M):
        if m.group(3) != '0':
            sys.exit('modprobe ext4 failed in the lab')
        load.setdefault(m.group(1), []).append(int(m.group(2)))
    inst = list(dict.fromkeys(re.findall(r'\[sample\] (instrumented .*)$', p.stdout, re.M)))
    return t, load, inst, re.findall(r'^ +(\d+ left alone: .*)$', p.stdout, re.M)


def run_host(reps):
    t = {}
    for fast in (1, 0):
        p = subprocess.run([os.path.join(OUT, 'hostbench'), '-f', str(fast), '-r', str(reps),
                            os.path.join(OUT, 'workload.o')], capture_output=True, text=True)
        if p.returncode:
            sys.exit('hostbench -f %d failed: %s' % (fast, p.stderr))
        for m in re.finditer(r'^TIME (\S+) \d+ (\S+)$', p.stdout, re.M):
            t.setdefault(('h%d' % fast, m.group(1)), []).append(float(m.group(2)))
    return t


# The run-time rows. A place is 'k' (lab kernel: fast=0 runs are the modes
# count0/store0), 'u' (lab user space) or 'h' (host); u0/u1 and h0/h1 are
# hostbench -f 0 / -f 1. A side is (mode, key): the ratio is
# t[before] / t[after], repetition by repetition.
WL = {'buf': 'buffer loop', 'chase': 'pointer chasing'}


def cost_rows():
    rows = []
    for w in ('buf', 'chase'):
        for mode, _, what, fast in sorted(KEDR_MODES, key=lambda m: (m[2], m[3])):
            state = mode.rstrip('0')    # hostbench's name, if it has the state
            hb = state in ('count', 'store')
            rows.append(('(cost) %s, %s, fast=%d' % (WL[w], what, fast), 'instrumented / plain', {
                'k': (('k', '%s.%s' % (w, mode)), ('k', '%s.plain' % w)),
                'u': (('u%d' % fast, '%s.%s' % (w, state)), ('u%d' % fast, '%s.plain' % w)) if hb else None,
                'h': (('h%d' % fast, '%s.%s' % (w, state)), ('h%d' % fast, '%s.plain' % w)) if hb else None,
            }, '<= 5x'))
    return rows


def speedup_rows():
    live = lambda place, v: (place, 'live.' + v)
    dead = lambda place, v: (place, 'dead.' + v)
    rows = [
        ('(a) a counting-only shortcut in the stub once the store is full (the flags '
         'still saved with PUSHFQ/POPFQ)', 'before / after: live, counting only', {
             'k': None,
             'u': (live('u1', 'count.evstub'), live('u1', 'count.pushf')),
             'h': (live('h1', 'count.evstub'), live('h1', 'count.pushf'))}, '-'),
        ('(b) the shortcut saving only the flags it changes, with LAHF/SETO/SAHF',
         'before / after: live, counting only', {
             'k': None,
             'u': (live('u1', 'count.pushf'), live('u1', 'count')),
             'h': (live('h1', 'count.pushf'), live('h1', 'count'))}, '-'),
        ('(a+b) the shortcut of kedr_fast_stub against kedr_event_stub (fast=0)',
         'fast=0 / fast=1: live, counting only', {
             'k': (live('k', 'count0'), live('k', 'count')),
             'u': (live('u1', 'count.evstub'), live('u1', 'count')),
             'h': (live('h1', 'count.evstub'), live('h1', 'count'))}, '-'),
        ('(c) flag liveness and inline counting: the count in the instance where the '
         "target's flags are dead", 'live / dead, fast=1, counting only', {
             'k': (live('k', 'count'), dead('k', 'count')),
             'u': (live('u1', 'count'), dead('u1', 'count')),
             'h': (live('h1', 'count'), dead('h1', 'count'))}, '-'),
        ("(c') ADD $1 rather than INC in the inline count", 'INC / ADD: dead, counting only', {
             'k': None,
             'u': (dead('u1', 'count.inc'), dead('u1', 'count')),
             'h': (dead('h1', 'count.inc'), dead('h1', 'count'))}, '-'),
        ("(d) the stub's full path restoring the flags with SAHF unless DF was set",
         'before / after: live, store not full', {
             'k': (live('k', 'store0'), live('k', 'store')),
             'u': (live('u1', 'store.lahf'), live('u1', 'store')),
             'h': (live('h1', 'store.lahf'), live('h1', 'store'))}, '-'),
    ]
    for w in ('buf', 'chase', 'dead'):
        for state, what in (('count', 'counting only'), ('store', 'store not full')):
            rows.append(('(all) every speed-up: %s, %s' % (WL.get(w, 'the dead loop'), what),
                         'fast=0 / fast=1', {
                             'k': (('k', '%s.%s0' % (w, state)), ('k', '%s.%s' % (w, state))),
                             'u': (('u0', '%s.%s' % (w, state)), ('u1', '%s.%s' % (w, state))),
                             'h': (('h0', '%s.%s' % (w, state)), ('h1', '%s.%s' % (w, state)))}, '-'))
    return rows


def table_rows(t, rows, extra=False):
    """the rows of the run-time table; @extra: notes say the time an event
    adds to the plain loop (instrumented - plain, medians)"""
    out = []
    for label, ratio, sides, goal in rows:
        cells, notes = [], []
        for place, name in (('k', 'lab kernel'), ('u', 'lab user space'), ('h', 'host')):
            side = sides.get(place)
            c, med = cell(t.get(side[0]), t.get(side[1])) if side else ('-', None)
            cells.append(c)
            if med is not None:
                print('%-100s %-40s %s %.2fx' % (label, ratio, place, med))
                if extra:
                    notes.append('%s %.1f' % (name, statistics.median(t[side[0]]) -
                                              statistics.median(t[side[1]])))
        note = 'ns per event more than plain: ' + ', '.join(notes) if notes else '-'
        out.append((label, ratio) + tuple(cells) + (goal, note))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reps', type=int, default=9)
    ap.add_argument('--engine-reps', type=int, default=5)
    ap.add_argument('--no-lab', action='store_true')
    ap.add_argument('--no-engine', action='store_true')
    ap.add_argument('--corpus', help="default: the lab kernel's modules (tests/vm/corpus)")
    a = ap.parse_args()
    t0 = time.time()
    if not a.corpus and not a.no_engine:
        a.corpus = subprocess.run([os.path.join(TOP, 'tests', 'vm', 'corpus')], stdout=subprocess.PIPE,
                                  text=True, check=True).stdout.strip()
    series = os.environ.get('LAB_KERNEL') or '6.1'
    kver = open(os.path.join(TOP, 'build', 'lab', series, 'kernel-version')).read().strip() \
        if os.path.exists(os.path.join(TOP, 'build', 'lab', series, 'kernel-version')) else '?'
    os.makedirs(OUT, exist_ok=True)
    reps = a.reps
    t = {}
    rows = []   # (benchmark, figure, median, spread, goal, note)

    if not a.no_engine:
        t.update(run_host(reps))
    if not a.no_lab:
        lt, load, inst, alone = run_lab(reps)
        t.update(lt)
        ratios = [k / p for k, p in zip(load['kedr'], load['plain'])]
        print('ext4 load: plain %.0f ms, instrumented %.0f ms: %.1fx (%s)' % (
            statistics.median(load['plain']) / 1e6, statistics.median(load['kedr']) / 1e6,
            statistics.median(ratios), spread(ratios)))
        print('kedr_sample: ' + '; '.join(inst))
        print('ext4 under kedr_sample:\n  ' + '\n  '.join(alone))
        rows.append(('Loading ext4 (`modprobe ext4`)', 'with kedr_sample / plain',
                     '%.1fx' % statistics.median(ratios), spread(ratios), '-',
                     'plain %.0f ms, instrumented %.0f ms; %s' % (
                         statistics.median(load['plain']) / 1e6,
                         statistics.median(load['kedr']) / 1e6,
                         re.sub(r' \(core.*\)', '', inst[-1]) if inst else '')))
    cost = table_rows(t, cost_rows(), extra=True)
    speed = table_rows(t, speedup_rows())

    if not a.no_engine:
        for fast in (1, 0):
            e = run_engine(a.engine_reps, a.corpus, fast)
            r = e['ratios']
            rows.append(('Instrumentation speed, user space, %s modules (%.1f MB of functions), fast=%d' % (
                             e['modules'], int(e['bytes']) / 1e6, fast),
                         'engine (decode + plan + emit) / Capstone (decode only)',
                         '%.2fx' % statistics.median(r), spread(r), '>= 3x',
                         'engine %s MB/s, Capstone %s MB/s (per-thread CPU time)' % (
                             e['engine_MBps'], e['capstone_MBps'])))
            rows.append(('Code growth per module, fast=%d' % fast, 'instance bytes / original bytes',
                         '%sx (median)' % e['growth_median'], 'worst %sx (%s)' % (
                             e['growth_worst'], os.path.basename(e['worst_module'])),
                         'median <= 3x', 'whole corpus: %sx' % e['growth_total']))

    with open(os.path.join(OUT, 'results.md'), 'w') as f:
        f.write('<!-- written by tests/bench/bench.py (make bench) -->\n\n')
        f.write('Written by `make bench` on %s: kernel %s (LAB_KERNEL=%s) in the lab, which is QEMU TCG '
                '(software emulation); %d repetitions; the whole run took %.0f min.\n\n' % (
                    time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), kver, series, reps,
                    (time.time() - t0) / 60))
        f.write('Run time. Each cell: the median of %d ratios, each of two runs made one right after '
                'the other, and their spread (min..max). "lab kernel": kedr_sample in the lab; "lab '
                'user space": tests/bench/hostbench on the same emulated CPU; "host": hostbench on the '
                'real CPU of the machine that ran the bench. Rows (cost): instrumented / plain. Rows (a) '
                'to (d): what one speed-up buys, the time before it / the time after it. Rows (all): '
                'fast=0 / fast=1 (in user space and on the host, the i-th runs of two processes, '
                'hostbench -f 0 and -f 1).\n\n' % reps)
        f.write('| what | ratio | lab kernel | lab user space | host | goal | notes |\n')
        f.write('|---|---|---|---|---|---|---|\n')
        for row in cost + speed:
            f.write('| %s |\n' % ' | '.join(row))
        if rows:
            f.write('\nInstrumentation.\n\n')
            f.write('| benchmark | ratio | median | spread (min..max) | goal | notes |\n')
            f.write('|---|---|---|---|---|---|\n')
            for row in rows:
                f.write('| %s |\n' % ' | '.join(row))
    print(open(os.path.join(OUT, 'results.md')).read())
    print('# make bench: %.0f s' % (time.time() - t0))


if __name__ == '__main__':
    main()
