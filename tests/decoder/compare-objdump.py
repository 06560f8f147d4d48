#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare instruction boundaries: kedr_sample's decoder (insn-dump) vs GNU objdump.

For every function (STT_FUNC, size > 0, executable section; aliases once)
of every module, the set of instruction start offsets our decoder finds
must equal the set objdump prints inside the function's range, and our
last instruction must end exactly at the function's end.

  compare-objdump.py [--jobs N] [--sample N --seed S] [--tap] --dump PATH DIR|FILE.ko...

Prints totals and every disagreement (first 50); exit status 1 if any.
With --tap, prints a TAP plan and one test per module.
"""
import argparse
import bisect
import multiprocessing
import os
import random
import re
import subprocess
import sys

ADDR_RE = re.compile(r'^\s*([0-9a-f]+):\t')
SEC_RE = re.compile(r'^Disassembly of section (\S+):')


def objdump_starts(path):
    """{section: set(offsets)} of instruction starts according to objdump."""
    out = subprocess.run(['objdump', '-d', '-w', '--no-show-raw-insn', path],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         check=True, env=dict(os.environ, LC_ALL='C')).stdout
    starts = {}
    cur = None
    for line in out.decode('utf-8', 'replace').splitlines():
        m = ADDR_RE.match(line)
        if m:
            cur.add(int(m.group(1), 16))
            continue
        m = SEC_RE.match(line)
        if m:
            cur = starts.setdefault(m.group(1), set())
    return starts


def ours(dump, path):
    """[(section, name, offset, size, [starts], end_ok, error)] from insn-dump."""
    out = subprocess.run([dump, path], stdout=subprocess.PIPE, check=True).stdout
    funcs = []
    f = None
    for line in out.decode('utf-8', 'replace').splitlines():
        if line.startswith('F '):
            _, sec, name, off, size = line.split()
            f = [sec, name, int(off, 16), int(size), [], None, 0]
            funcs.append(f)
        elif line.startswith('0x') and f is not None:
            parts = line.split()
            off = int(parts[0], 16)
            if not parts[1].isdigit():
                f[5] = '%s at 0x%x' % (parts[1], off)
                continue
            f[4].append(off)
            f[6] = off + int(parts[1])
    return funcs


def check_module(args):
    dump, path = args
    try:
        ref = objdump_starts(path)
        funcs = ours(dump, path)
    except subprocess.CalledProcessError as e:
        return path, 0, 0, 0, ['tool failed: %s' % e]
    ninsn = nbytes = 0
    bad = []
    ref = {sec: sorted(s) for sec, s in ref.items()}
    for sec, name, off, size, starts, err, end in funcs:
        nbytes += size
        ninsn += len(starts)
        lst = ref.get(sec, [])
        theirs = lst[bisect.bisect_left(lst, off):bisect.bisect_left(lst, off + size)]
        if err or starts != theirs or end != off + size:
            diff = sorted(set(starts) ^ set(theirs))
            bad.append('%s:%s:%s+0x%x: %s; first differing offset %s' % (
                os.path.relpath(path, '/'), sec, name, off,
                err or 'boundaries differ', hex(diff[0]) if diff else '(end %x)' % end))
    return path, len(funcs), ninsn, nbytes, bad


def modules(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in files:
                    if f.endswith('.ko'):
                        yield os.path.join(root, f)
        else:
            yield p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dump', required=True)
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--sample', type=int, default=0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--tap', action='store_true')
    ap.add_argument('paths', nargs='+')
    a = ap.parse_args()
    mods = sorted(modules(a.paths))
    if a.sample:
        random.Random(a.seed).shuffle(mods)
        mods = sorted(mods[:a.sample])
        print('# sample of %d modules, seed %d' % (len(mods), a.seed))
    if a.tap:
        print('1..%d' % len(mods))
    tot_f = tot_i = tot_b = 0
    bad_all = []
    with multiprocessing.Pool(a.jobs) as pool:
        for n, (path, nf, ni, nb, bad) in enumerate(
                pool.imap(check_module, [(a.dump, m) for m in mods]), 1):
            tot_f += nf
            tot_i += ni
            tot_b += nb
            bad_all += bad
            if a.tap:
                print('%s %d - %s: %d functions, %d instructions agree with objdump' % (
                    'not ok' if bad else 'ok', n, os.path.basename(path), nf - len(bad), ni))
                for b in bad[:5]:
                    print('#   ' + b)
    ok_f = tot_f - len(bad_all)
    print('# boundaries vs objdump: %d modules, %d functions, %d instructions, %d bytes' % (
        len(mods), tot_f, tot_i, tot_b))
    print('# functions whose boundaries agree: %d / %d (%.4f%%)' % (
        ok_f, tot_f, 100.0 * ok_f / max(tot_f, 1)))
    for b in bad_all[:50]:
        print('# DISAGREE ' + b)
    return 1 if bad_all else 0


if __name__ == '__main__':
    sys.exit(main())
