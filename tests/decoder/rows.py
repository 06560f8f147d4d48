#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Row tests: every row of insn_tables.h against GNU objdump.

Builds, for every opcode of the maps 1-byte, 0F, 0F 38 and 0F 3A, under
each mandatory prefix (none, 66, F3, F2), with each ModRM.reg value and
both a memory ModRM ([rax+disp8]) and a register one, an instruction
followed by filler bytes, each in its own 32-byte slot padded with NOPs.
objdump (-b binary -m i386:x86-64) disassembles the file; our decoder
(insn-dump --slots) decodes each slot. Both must agree on the length, or
both find the bytes invalid ("(bad)" / unknown). Differences that are
understood are listed in rows-known.txt (pattern, reason); any other is a
failure.

  rows.py --dump build/decoder/insn-dump [--tap] [--verbose]
"""
import argparse
import fnmatch
import os
import re
import subprocess
import sys
import tempfile

SLOT = 32
LEGACY_PREFIXES = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3}
FILLER = bytes([0x11] * 8)


def cases():
    mand = [(b'', 'none'), (b'\x66', '66'), (b'\xf3', 'F3'), (b'\xf2', 'F2')]
    maps = [(b'', '1byte'), (b'\x0f', '0F'), (b'\x0f\x38', '0F38'), (b'\x0f\x3a', '0F3A')]
    for esc, mname in maps:
        for op in range(256):
            if mname == '1byte' and (op in LEGACY_PREFIXES or 0x40 <= op <= 0x4f or
                                     op in (0x0f, 0xc4, 0xc5, 0x62)):
                continue     # prefixes, escapes, VEX/EVEX: tested elsewhere
            if mname == '0F' and op in (0x38, 0x3a):
                continue
            for pfx, pname in mand:
                for reg in range(8):
                    for mod, mtext in ((0x40, 'mem'), (0xc0, 'reg')):
                        modrm = mod | (reg << 3)
                        b = pfx + esc + bytes([op, modrm]) + (b'\x10' if mod == 0x40 else b'') + FILLER
                        yield '%s %02x %s /%d %s' % (mname, op, pname, reg, mtext), b


def vex_cases():
    """VEX (C4, 3-byte form) and EVEX encodings of every opcode of maps 1-3."""
    for mm, mname in ((1, '0F'), (2, '0F38'), (3, '0F3A')):
        for op in range(256):
            for pp, pname in enumerate(('none', '66', 'F3', 'F2')):
                for L in (0, 1):
                    for mod, mtext in ((0x40, 'mem'), (0xc0, 'reg')):
                        modrm = mod | (2 << 3) | 1
                        tail = bytes([op, modrm]) + (b'\x10' if mod == 0x40 else b'') + FILLER
                        # C4: ~R~X~B=111 mmmmm | W=0 ~vvvv=1111 L pp
                        vex = bytes([0xc4, 0xe0 | mm, 0x78 | (L << 2) | pp])
                        yield 'VEX %s %02x %s L%d %s' % (mname, op, pname, L, mtext), vex + tail
                        # 62: ~R~X~B~R'=1111 0 mm | W=0 ~vvvv=1111 1 pp | z=0 L'L b=0 ~V'=1 aaa=001
                        evex = bytes([0x62, 0xf0 | mm, 0x7c | pp, (L << 5) | 0x08 | 1])
                        yield 'EVEX %s %02x %s L%d %s' % (mname, op, pname, L, mtext), evex + tail


def objdump_slots(path, nslots):
    out = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64', '-w',
                          '--no-show-raw-insn', path], stdout=subprocess.PIPE, check=True,
                         env=dict(os.environ, LC_ALL='C')).stdout.decode()
    insns = []
    for line in out.splitlines():
        m = re.match(r'^\s*([0-9a-f]+):\t(.*)$', line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2).strip()))
    res = {}
    for i, (addr, text) in enumerate(insns):
        if addr % SLOT == 0:
            nxt = insns[i + 1][0] if i + 1 < len(insns) else addr + SLOT
            res[addr // SLOT] = (nxt - addr, text)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dump', required=True)
    ap.add_argument('--tap', action='store_true')
    ap.add_argument('--verbose', action='store_true')
    ap.add_argument('--cs', help='cs-compare: also check access kind/size of the seed rows')
    a = ap.parse_args()
    known = []
    kpath = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'rows-known.txt')
    for line in open(kpath):
        if line.strip() and not line.startswith('#'):
            pat, _, why = line.rstrip('\n').partition('|')
            known.append((pat.strip(), why.strip(), [0]))
    names, blob = [], bytearray()
    for name, b in list(cases()) + list(vex_cases()):
        names.append((name, b))
        blob += b + bytes([0x90] * (SLOT - len(b)))
    with tempfile.NamedTemporaryFile(suffix='.bin') as tf:
        tf.write(blob)
        tf.flush()
        theirs = objdump_slots(tf.name, len(names))
        ours = subprocess.run([a.dump, '--slots', tf.name, str(SLOT)], stdout=subprocess.PIPE,
                              check=True).stdout.decode().splitlines()
        cs = None
        if a.cs:
            cs = subprocess.run([a.cs, '-k', os.path.join(os.path.dirname(kpath), 'cs-known.txt'),
                                 '--slots', tf.name, str(SLOT)], stdout=subprocess.PIPE)
    agree = documented = vex_unvalidated = 0
    bad = []
    for i, (name, b) in enumerate(names):
        f = ours[i].split()
        our_len = int(f[1]) if f[1].isdigit() else 0
        their_len, text = theirs.get(i, (0, '(missing)'))
        if '(bad)' in text:
            their_len = 0
        if our_len == their_len:
            agree += 1
            continue
        if name.startswith(('VEX', 'EVEX')) and their_len == 0:
            vex_unvalidated += 1    # see Limitations: VEX/EVEX opcodes are not validated
            continue
        desc = '%s: ours %s, objdump %d "%s" [%s]' % (name, our_len or f[1], their_len, text,
                                                      b.hex(' '))
        for k in known:
            if fnmatch.fnmatchcase(name, k[0]):
                k[2][0] += 1
                documented += 1
                if a.verbose:
                    print('# documented: ' + desc)
                break
        else:
            bad.append(desc)
    total = len(names)
    if a.tap:
        print('1..%d' % (3 if cs else 2))
        print('%s 1 - %d table-row encodings: %d agree with objdump, %d documented differences, '
              '%d VEX/EVEX encodings objdump rejects and we decode (not validated)' % (
                  'ok' if not bad else 'not ok', total, agree, documented, vex_unvalidated))
        for d in bad[:40]:
            print('#   ' + d)
        unused = [k[0] for k in known if not k[2][0]]
        print('%s 2 - every documented difference still occurs' % ('ok' if not unused else 'not ok'))
        for u in unused:
            print('#   unused pattern: ' + u)
        if cs:
            lines = cs.stdout.decode().splitlines()
            print('%s 3 - access kind and size of the seed-class rows agree with Capstone '
                  '(its errors documented in cs-known.txt)' % ('ok' if cs.returncode == 0 else 'not ok'))
            for line in lines:
                if line.startswith(('# seed', '# agree', '# disagreements')) or \
                        (cs.returncode and 'UNEXPLAINED' in line):
                    print(line)
    else:
        print('# rows: %d encodings, %d agree, %d documented, %d VEX/EVEX not validated, '
              '%d unexplained' % (total, agree, documented, vex_unvalidated, len(bad)))
        for d in bad:
            print('# DISAGREE ' + d)
    return 1 if bad or (cs and cs.returncode) else 0


if __name__ == '__main__':
    sys.exit(main())
