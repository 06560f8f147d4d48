#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench.py - kedr_sample's benchmarks (`make bench`); not tests.

Runs, side by side in one go:
  1. run-time slowdown, in the lab (one boot): kedr_bench_target's two
     workloads plain, instrumented counting only (num_records=1), and
     instrumented with the store not full, with fast=1 and with fast=0
     (the simple instrumenter), and what fast=1 buys (fast=0 / fast=1);
     per-event cost from [Totals].
     The lab is QEMU TCG, so the same loops (tests/bench/workload.c) are
     also instrumented by the user-space engine and run on the host's CPU
     with a replica of kedr_sample's stub and recorder (engine run);
  2. instrumentation speed in user space: build/engine/engine bench
     (decode + plan + emit of every function of the corpus vs Capstone
     decoding the same bytes), fast=1 and fast=0;
  3. code growth per module (from the same engine run);
  4. the time to load ext4 plain and with kedr_sample instrumenting it.
Each figure is a ratio measured in the same run, with the median and the
spread (min..max) of the repetitions. Prints everything and writes a
table to build/bench/results.md.

  bench.py [--reps N] [--no-lab] [--no-engine] [--corpus DIR]
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


def spread(v):
    return '%.2f..%.2f' % (min(v), max(v))


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
    script = script.replace('@REPS@', str(reps)).replace('@NBUF@', str(NBUF)) \
                   .replace('@NCHASE@', str(NCHASE)) \
                   .replace('@PLAIN_SCALE@', str(PLAIN_SCALE)) \
                   .replace('@COUNT_SCALE@', str(COUNT_SCALE))
    path = os.path.join(OUT, 'guest-bench.sh')
    with open(path, 'w') as f:
        f.write(script)
    t = time.time()
    p = subprocess.run([os.path.join(TOP, 'tests', 'vm', 'run'), '--timeout', '1500',
                        '--modules', 'ext4', '--file', os.path.join(OUT, 'timeit'), path],
                       capture_output=True, text=True)
    with open(os.path.join(OUT, 'lab.log'), 'w') as f:
        f.write(p.stdout + p.stderr)
    print('# lab run: exit %d, %.0f s wall (log: build/bench/lab.log)' % (p.returncode, time.time() - t))
    if p.returncode:
        print(p.stdout[-3000:], p.stderr[-2000:])
        sys.exit('the lab run failed')
    res = {}
    for m in re.finditer(r'^RESULT (\w+) (\d+) (\w+) (\d+) ns=(\d+) events=(\d+)', p.stdout, re.M):
        # time per unit of work (pass or step), scaled to the instrumented run's length
        n = int(m.group(4))
        unit = NBUF if m.group(3) == 'buf' else NCHASE
        res.setdefault((m.group(1), m.group(3)), []).append(int(m.group(5)) * unit / n)
    tot = {}
    for m in re.finditer(r'^TOTALS (\w+) (\w+) \[Totals\] reads: (\d+); writes: (\d+); '
                         r'locked updates: (\d+)', p.stdout, re.M):
        tot.setdefault((m.group(1), m.group(2)), []).append(
            int(m.group(3)) + int(m.group(4)) + int(m.group(5)))
    load = {}
    for m in re.finditer(r'^LOAD (\w+) ns=(\d+) status=(\d+)', p.stdout, re.M):
        if m.group(3) != '0':
            sys.exit('modprobe ext4 failed in the lab')
        load.setdefault(m.group(1), []).append(int(m.group(2)))
    inst = list(dict.fromkeys(re.findall(r'\[sample\] (instrumented .*)$', p.stdout, re.M)))
    return res, tot, load, inst, re.findall(r'^ +(\d+ left alone: .*)$', p.stdout, re.M)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--no-lab', action='store_true')
    ap.add_argument('--no-engine', action='store_true')
    ap.add_argument('--corpus', help="default: the lab kernel's modules (tests/vm/corpus)")
    a = ap.parse_args()
    if not a.corpus and not a.no_engine:
        a.corpus = subprocess.run([os.path.join(TOP, 'tests', 'vm', 'corpus')], stdout=subprocess.PIPE,
                                  text=True, check=True).stdout.strip()
    series = os.environ.get('LAB_KERNEL') or '6.1'
    kver = open(os.path.join(TOP, 'build', 'lab', series, 'kernel-version')).read().strip() \
        if os.path.exists(os.path.join(TOP, 'build', 'lab', series, 'kernel-version')) else '?'
    os.makedirs(OUT, exist_ok=True)
    rows = []   # (benchmark, figure, median, spread, goal, note)
    reps = a.reps

    if not a.no_lab:
        res, tot, load, inst, alone = run_lab(reps)
        for w, what in (('buf', 'buffer loop (load, store, RMW)'), ('chase', 'pointer chasing')):
            plain = res[('plain', w)]
            for mode, label in (('count', 'counting only, fast=1'), ('store', 'store not full, fast=1'),
                                ('count0', 'counting only, fast=0'), ('store0', 'store not full, fast=0'),
                                ('ring', 'keep=last (a ring of 65536, never full), fast=1')):
                ins = res[(mode, w)]
                ratios = [i / p for i, p in zip(ins, plain)]
                # [Totals] of a load with the run, less that of a load without,
                # per NBUF passes or NCHASE steps (the unit of res)
                scale = COUNT_SCALE if mode == 'count' else 1
                events = statistics.median(t - tot[('warm', w)][0] for t in tot[(mode, w)]) / scale
                if mode.startswith('store') and max(tot[(mode, w)]) >= 4194304:
                    sys.exit('the store was full: lower NBUF/NCHASE')
                extra = statistics.median(ins) - statistics.median(plain)
                print('slowdown %-6s %-15s plain %.1f ms, instrumented %.1f ms: %.1fx (%s), '
                      '%.0f events/run, %.0f ns/event' % (
                          w, label, statistics.median(plain) / 1e6, statistics.median(ins) / 1e6,
                          statistics.median(ratios), spread(ratios), events, extra / events))
                rows.append(('Run-time slowdown, %s, %s' % (what, label), 'instrumented / plain',
                             '%.1fx' % statistics.median(ratios), spread(ratios), '<= 5x',
                             '%.0f ns per event (%.2f M events per run of %.0f ms; plain: %.1f ms for the same work)' % (
                                 extra / events, events / 1e6, statistics.median(ins) / 1e6,
                                 statistics.median(plain) / 1e6)))
            for mode, label in (('count', 'counting only'), ('store', 'store not full')):
                r01 = [s0 / s1 for s0, s1 in zip(res[(mode + '0', w)], res[(mode, w)])]
                print('fast=0 / fast=1 %-6s %-15s %.1fx (%s)' % (w, label, statistics.median(r01),
                                                                 spread(r01)))
                rows.append(('What fast=1 buys, %s, %s' % (what, label), 'fast=0 / fast=1',
                             '%.1fx' % statistics.median(r01), spread(r01), '-',
                             'instrumented run times of the two modes, side by side'))
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

    if not a.no_engine:
        eng = os.path.join(TOP, 'build', 'engine', 'engine')
        for fast in (1, 0):
            p = subprocess.run([eng, 'run', '-f', str(fast), '-r', str(reps),
                                os.path.join(OUT, 'workload.o')], capture_output=True, text=True)
            print(p.stdout, end='')
            if p.returncode:
                sys.exit('engine run failed: ' + p.stderr)
            for m in re.finditer(r'^HOST (\w+) (\w+) ratio_median (\S+) min (\S+) max (\S+) '
                                 r'plain_ms (\S+) inst_ms (\S+) ns_per_event (\S+) events (\S+)',
                                 p.stdout, re.M):
                w, mode, rm, lo, hi, pl, ins, nse, ev = m.groups()
                rows.append(('Run-time slowdown on the host CPU (user space, stub replica), %s, %s, fast=%d' % (
                                 'buffer loop' if w == 'buf' else 'pointer chasing',
                                 'counting only' if mode == 'count' else 'store not full', fast),
                             'instrumented / plain', '%.1fx' % float(rm), '%s..%s' % (lo, hi), '<= 5x',
                             '%s ns per event (%.2f M events per run of %.0f ms; plain: %.1f ms)' % (
                                 nse, float(ev) / 1e6, float(ins), float(pl))))
        for fast in (1, 0):
            e = run_engine(reps, a.corpus, fast)
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
        f.write('<!-- written by tests/bench/bench.py (make bench), %s; %d repetitions; '
                'the lab is QEMU TCG (software emulation); kernel %s (LAB_KERNEL=%s) -->\n\n' % (
                    time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), reps, kver, series))
        f.write('| benchmark | ratio | median | spread (min..max) | goal | notes |\n')
        f.write('|---|---|---|---|---|---|\n')
        for row in rows:
            f.write('| %s |\n' % ' | '.join(row))
    print(open(os.path.join(OUT, 'results.md')).read())


if __name__ == '__main__':
    main()
