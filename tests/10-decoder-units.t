#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Decoder unit tests: hand-picked hard cases, expected values derived by hand
# from the encodings in the Intel SDM vol. 2 (never from the decoder itself).
# Fields: see tests/README.md, "Decoder" (insn-dump --hex).
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DUMP = os.path.join(TOP, 'build/decoder/insn-dump')

# (bytes, expected fields, what it is)
CASES = [
    # ---- ModRM / SIB / displacement: SDM vol. 2, Tables 2-2, 2-3
    ('48 8b 44 24 08', dict(len=5, acc='R', size=8, cls='mov', base='rsp', index='none', disp=8,
                            sp=1, modrm_off=2, sib_off=3, disp_off=4, disp_size=1), 'mov 0x8(%rsp),%rax'),
    ('65 48 8b 04 25 28 00 00 00', dict(len=9, acc='R', size=8, seg='gs', base='none', index='none',
                                        disp=40, sp=0, disp_size=4, segp='gs'), 'stack canary mov %gs:0x28,%rax'),
    ('48 8b 05 78 56 34 12', dict(len=7, rip=1, base='none', disp=0x12345678, disp_off=3, disp_size=4),
     'RIP-relative: mod 00 rm 101'),
    ('41 8b 45 00', dict(len=4, base='r13', disp=0, disp_size=1, sib_off=0), '[r13] needs a disp8 (rm 101)'),
    ('41 8b 04 24', dict(len=4, base='r12', sp=0, sib_off=3), '[r12] needs a SIB but is not %rsp'),
    ('42 8b 04 25 00 00 00 00', dict(len=8, base='none', index='r12', scale=1, disp_size=4),
     'SIB index 100 with REX.X is %r12, base 101 mod 00 is none'),
    ('8b 04 8d 10 00 00 00', dict(len=7, base='none', index='rcx', scale=4, disp=16), 'no base, index*4 + disp32'),
    ('8b 44 9e f0', dict(len=4, base='rsi', index='rbx', scale=4, disp=-16), 'disp8 is signed'),
    ('67 8b 07', dict(len=3, base='rdi', addr32=1, acc='R', size=4), '67: 32-bit address'),
    ('26 8b 07', dict(len=3, seg='none', segp='es'), 'ES override is ignored in 64-bit mode'),
    ('64 8b 07', dict(len=3, seg='fs'), 'FS override kept'),
    # ---- prefixes and operand size: SDM vol. 1, Table 3-4; vol. 2, 2.2.1
    ('48 66 8b 07', dict(len=4, size=2, rex='0x00'), 'REX before a legacy prefix is ignored'),
    ('66 48 8b 07', dict(len=4, size=8, rex='0x48'), 'REX.W wins over 66'),
    ('66 c7 07 34 12', dict(len=5, acc='W', size=2, imm_size=2, imm=0x1234), 'Iz is 2 bytes with 66'),
    ('48 c7 07 ff ff ff ff', dict(len=7, acc='W', size=8, imm_size=4, imm=-1), 'Iz stays 4 bytes with REX.W'),
    ('48 b8 88 77 66 55 44 33 22 11', dict(len=10, imm_size=8, imm=0x1122334455667788, mem=0),
     'MOV r64, imm64: the only Iv'),
    ('48 a1 88 77 66 55 44 33 22 11', dict(len=10, mem=1, base='none', acc='R', size=8, disp_off=2,
                                           disp_size=8, disp=0x1122334455667788), 'MOV rAX, moffs64'),
    ('67 a2 44 33 22 11', dict(len=6, acc='W', size=1, disp_size=4, addr32=1), 'MOV moffs32, AL with 67'),
    ('c8 10 00 01', dict(len=4, imm_size=3), 'ENTER Iw, Ib'),
    # ---- access kind and size of the seed's classes
    ('f0 48 0f b1 17', dict(len=5, acc='RW+L', size=8, cls='cmpxchg'), 'lock cmpxchg: written even on failure'),
    ('0f b1 17', dict(len=3, acc='RW', size=4, cls='cmpxchg'), 'cmpxchg without lock'),
    ('0f c7 0f', dict(len=3, acc='RW', size=8, cls='cmpxchg'), 'cmpxchg8b m64'),
    ('f0 48 0f c7 0f', dict(len=5, acc='RW+L', size=16, cls='cmpxchg'), 'lock cmpxchg16b m128'),
    ('48 87 07', dict(len=3, acc='RW+L', size=8, cls='xchg', prefixes='0x00'), 'xchg with memory is locked'),
    ('86 07', dict(len=2, acc='RW+L', size=1, cls='xchg'), 'xchg byte'),
    ('f0 0f c1 07', dict(len=4, acc='RW+L', size=4, cls='xadd'), 'lock xadd (outside the seed)'),
    ('0f 44 07', dict(len=3, acc='R', size=4, cls='cmovcc'), 'cmove reads whatever the condition'),
    ('48 0f 4f 07', dict(len=4, acc='R', size=8, cls='cmovcc'), 'cmovg 64'),
    ('0f 94 07', dict(len=3, acc='W', size=1, cls='setcc'), 'sete writes 1 byte'),
    ('66 0f a3 07', dict(len=4, acc='R', size=2, cls='bitop'), 'bt reg: read'),
    ('f0 48 0f ab 07', dict(len=5, acc='RW+L', size=8, cls='bitop'), 'lock bts'),
    ('f0 48 0f ba 6f 28 0b', dict(len=7, acc='RW+L', size=8, cls='bitop', imm=11, imm_off=6, imm_size=1,
                                  disp=40), 'lock btsq $0xb,0x28(%rdi)'),
    ('0f ba 27 05', dict(len=4, acc='R', size=4, cls='bitop'), 'bt imm: read'),
    ('f3 0f b8 07', dict(len=4, acc='R', size=4, cls='bitop'), 'popcnt'),
    ('f3 48 0f bc 07', dict(len=5, acc='R', size=8, cls='bitop'), 'tzcnt'),
    ('0f 38 f0 07', dict(len=4, acc='R', size=4, cls='mov'), 'movbe load'),
    ('48 0f 38 f1 07', dict(len=5, acc='W', size=8, cls='mov'), 'movbe store'),
    ('f2 0f 38 f0 07', dict(len=5, acc='R', size=1, cls='other'), 'crc32b (F2 selects it over movbe)'),
    ('48 63 07', dict(len=3, acc='R', size=4, cls='mov'), 'movsxd reads 4'),
    ('0f be 07', dict(len=3, acc='R', size=1, cls='mov'), 'movsbl reads 1'),
    ('48 0f b7 07', dict(len=4, acc='R', size=2, cls='mov'), 'movzwq reads 2'),
    ('8c 07', dict(len=2, acc='W', size=2, cls='mov'), 'mov %es,(%rdi) writes 2'),
    ('48 81 3f 00 01 00 00', dict(len=7, acc='R', size=8, cls='cmp', imm=256), 'cmpq $0x100: read only'),
    ('80 3f 00', dict(len=3, acc='R', size=1, cls='cmp'), 'cmpb'),
    ('39 07', dict(len=2, acc='R', size=4, cls='cmp'), 'cmp %eax,(%rdi)'),
    ('83 07 01', dict(len=3, acc='RW', size=4, cls='alu'), 'addl $1'),
    ('f0 ff 0f', dict(len=3, acc='RW+L', size=4, cls='alu'), 'lock decl'),
    ('f6 07 01', dict(len=3, acc='R', size=1, cls='alu', imm_size=1), 'test Ib: read, result discarded'),
    ('f6 17', dict(len=2, acc='RW', size=1, cls='alu', imm_size=0), 'not: group 3 /2 has no immediate'),
    ('f7 07 78 56 34 12', dict(len=6, acc='R', size=4, imm_size=4), 'test Iz'),
    ('66 f7 37', dict(len=3, acc='R', size=2, cls='alu'), 'div word'),
    ('85 07', dict(len=2, acc='R', size=4, cls='alu'), 'test %eax,(%rdi)'),
    ('48 0f af 07', dict(len=4, acc='R', size=8, cls='alu'), 'imul'),
    ('d1 27', dict(len=2, acc='RW', size=4, cls='shift'), 'shl (outside the seed)'),
    # ---- no data access
    ('8d 04 24', dict(len=3, acc='-', mem=1, base='rsp'), 'lea: address only'),
    ('0f 1f 44 00 00', dict(len=5, acc='-', mem=1), 'the 5-byte nop'),
    ('0f 18 0f', dict(len=3, acc='-'), 'prefetcht0'),
    ('0f 0d 0f', dict(len=3, acc='-'), 'prefetchw'),
    ('0f ae 3f', dict(len=3, acc='-'), 'clflush'),
    # ---- string operations: SDM vol. 2, MOVS/STOS/CMPS/SCAS/INS/OUTS, REP
    ('f3 48 ab', dict(len=3, str='stos', rep='rep', src='-', dst='W', size=8, cls='string', mem=0),
     'rep stosq'),
    ('f3 48 a5', dict(len=3, str='movs', rep='rep', src='R', dst='W', size=8), 'rep movsq'),
    ('a4', dict(len=1, str='movs', rep='none', src='R', dst='W', size=1), 'movsb'),
    ('f3 a6', dict(len=2, str='cmps', rep='repe', src='R', dst='R', size=1), 'repe cmpsb'),
    ('f2 ae', dict(len=2, str='scas', rep='repne', src='-', dst='R', size=1), 'repne scasb'),
    ('66 ad', dict(len=2, str='lods', src='R', dst='-', size=2), 'lodsw'),
    ('f3 66 6d', dict(len=3, str='ins', rep='rep', dst='W', size=2), 'rep insw'),
    ('48 6f', dict(len=2, str='outs', src='R', size=4), 'outsl: REX.W does not widen'),
    ('65 a4', dict(len=2, str='movs', segp='gs'), 'segment override applies to the source'),
    # ---- control flow
    ('e8 10 00 00 00', dict(len=5, flow='call', boff=1, bsize=4, bdisp=16), 'call rel32'),
    ('eb fe', dict(len=2, flow='jmp', boff=1, bsize=1, bdisp=-2), 'jmp rel8 to itself'),
    ('e9 00 01 00 00', dict(len=5, flow='jmp', bdisp=256), 'jmp rel32'),
    ('0f 84 00 01 00 00', dict(len=6, flow='jcc', boff=2, bsize=4, bdisp=256), 'je rel32'),
    ('74 80', dict(len=2, flow='jcc', bdisp=-128), 'je rel8'),
    ('e3 05', dict(len=2, flow='loop', bsize=1, bdisp=5), 'jrcxz'),
    ('e2 fb', dict(len=2, flow='loop', bdisp=-5), 'loop'),
    ('ff 15 00 00 00 00', dict(len=6, flow='call_ind', acc='R', size=8, rip=1, cls='branch'), 'call *pv_ops(%rip)'),
    ('ff d0', dict(len=2, flow='call_ind', mem=0), 'call *%rax'),
    ('41 ff e3', dict(len=3, flow='jmp_ind', mem=0), 'jmp *%r11'),
    ('ff 24 c5 00 00 00 00', dict(len=7, flow='jmp_ind', acc='R', size=8, index='rax', scale=8),
     'jmp *table(,%rax,8)'),
    ('c3', dict(len=1, flow='ret'), 'ret'),
    ('c2 08 00', dict(len=3, flow='ret', imm=8, imm_size=2, bsize=0), 'ret $8'),
    ('cc', dict(len=1, flow='int3'), 'int3'),
    ('0f 0b', dict(len=2, flow='ud'), 'ud2'),
    ('0f b9 cc', dict(len=3, flow='ud', modrm_off=2), 'ud1 has a ModRM (static-call trampolines)'),
    ('0f ff 07', dict(len=3, flow='ud'), 'ud0 has a ModRM'),
    ('48 cf', dict(len=2, flow='iret'), 'iretq'),
    ('48 0f 07', dict(len=3, flow='sysret'), 'sysretq'),
    ('c7 f8 10 00 00 00', dict(len=6, flow='xbegin', bsize=4, bdisp=16), 'xbegin rel32'),
    # ---- stack, system, x87, SIMD
    ('8f 07', dict(len=2, acc='W', size=8, cls='stack'), 'pop (%rdi)'),
    ('ff 37', dict(len=2, acc='R', size=8, cls='stack'), 'push (%rdi)'),
    ('0f 20 c0', dict(len=3, mem=0), 'mov %cr0,%rax'),
    ('0f 22 18', dict(len=3, mem=0), 'MOV CR: the mod bits are ignored'),
    ('0f ae 07', dict(len=3, acc='W', size=512), 'fxsave'),
    ('0f 01 0f', dict(len=3, acc='W', size=10), 'sidt'),
    ('0f c7 f0', dict(len=3, mem=0), 'rdrand'),
    ('d9 7d fe', dict(len=3, acc='W', size=2, cls='other'), 'fnstcw'),
    ('dd 45 f8', dict(len=3, acc='R', size=8), 'fldl'),
    ('db 6d f0', dict(len=3, acc='R', size=10), 'fldt'),
    ('f2 0f 10 07', dict(len=4, acc='R', size=8, cls='simd', str='none'), 'SSE movsd is not a string op'),
    ('f2 0f 11 07', dict(len=4, acc='W', size=8, cls='simd'), 'movsd store'),
    ('f3 0f 10 07', dict(len=4, acc='R', size=4), 'movss'),
    ('66 0f 6f 07', dict(len=4, acc='R', size=16), 'movdqa'),
    ('66 0f 7f 07', dict(len=4, acc='W', size=16), 'movdqa store'),
    ('f3 0f 7e 07', dict(len=4, acc='R', size=8), 'movq xmm, m64 (F3 0F 7E loads)'),
    ('66 0f 7e 07', dict(len=4, acc='W', size=4), 'movd m32, xmm (66 0F 7E stores)'),
    ('66 0f 3a 0f c1 08', dict(len=6, imm_size=1), 'palignr: 0F 3A has Ib'),
    ('c5 f8 77', dict(len=3, vex=1, modrm_off=0), 'vzeroupper: no ModRM'),
    ('c5 fe 6f 07', dict(len=4, vex=1, vl=32, acc='R', size=32), 'vmovdqu (%rdi),%ymm0'),
    ('c5 fe 7f 07', dict(len=4, acc='W', size=32), 'vmovdqu %ymm0,(%rdi)'),
    ('c4 e3 5d 02 e2 f0', dict(len=6, vex=2, vl=32, imm_size=1), 'vpblendd (corpus, sha512-ssse3)'),
    ('c4 e2 7d 18 07', dict(len=5, acc='R', size=4), 'vbroadcastss m32'),
    ('62 51 b5 48 eb ca', dict(len=6, vex=3, vl=64, mem=0), 'vporq zmm (corpus, poly1305)'),
    ('62 f1 7c 58 58 07', dict(len=6, vex=3, vl=64, acc='R', size=4), 'EVEX broadcast {1to16}: one dword'),
    ('62 d3 fd 48 3b de 01', dict(len=7, imm_size=1), 'vextracti64x4 (corpus): 0F3A has Ib'),
    # ---- errors: unknown, truncated, too long
    ('', dict(error='truncated'), 'nothing'),
    ('48', dict(error='truncated'), 'a lone REX'),
    ('0f', dict(error='truncated'), 'a lone escape'),
    ('e8 00 00', dict(error='truncated'), 'call cut short'),
    ('48 8b 44 24', dict(error='truncated'), 'SIB without its disp8'),
    ('c4 e2', dict(error='truncated'), 'VEX cut short'),
    ('66 ' * 15 + '90', dict(error='too_long'), '15 prefixes and an opcode: 16 bytes'),
    ('66 ' * 14 + '90', dict(len=15), '14 prefixes and an opcode: 15 bytes is fine'),
    ('06', dict(error='unknown'), 'push %es: invalid in 64-bit mode'),
    ('d6', dict(error='unknown'), 'salc'),
    ('8f e8 78 c0', dict(error='unknown'), 'AMD XOP'),
    ('f0 89 07', dict(error='unknown'), 'lock mov: #UD'),
    ('f0 01 c0', dict(error='unknown'), 'lock with a register destination: #UD'),
    ('f0 39 07', dict(error='unknown'), 'lock cmp: not lockable'),
    ('8d c0', dict(error='unknown'), 'lea with a register operand'),
    ('66 e8 00 00 00 00', dict(error='unknown'), '66 call: Intel rel32, AMD rel16: refused'),
    ('0f b8 07', dict(error='unknown'), '0F B8 without F3 (JMPE)'),
    ('f3 0f 58 c1', dict(len=4), 'addss'),
    ('f3 0f 54 c1', dict(error='unknown'), 'ANDPS has no F3 form'),
    ('0f 6c c1', dict(error='unknown'), 'PUNPCKLQDQ exists only with 66'),
    ('c4 e8 78 10 07', dict(error='unknown'), 'VEX map 8: not an opcode map'),
    ('66 c5 f8 77', dict(error='unknown'), '66 before VEX: #UD'),
]

KEYMAP = {'cls': 'class'}


def main():
    if subprocess.run(['make', '-s', '-C', TOP, '-f', 'tests/decoder.mk', 'host-tools'],
                      stdout=subprocess.DEVNULL).returncode:
        print('1..1')
        print('not ok 1 - the host tools build (make -f tests/decoder.mk host-tools)')
        return 1
    out = subprocess.run([DUMP, '--hex'] + [c[0] for c in CASES], stdout=subprocess.PIPE,
                         check=True).stdout.decode().splitlines()
    print('1..%d' % len(CASES))
    failed = 0
    for n, ((hexs, exp, what), line) in enumerate(zip(CASES, out), 1):
        got = dict(kv.split('=', 1) for kv in line.split())
        bad = []
        for k, v in exp.items():
            key = KEYMAP.get(k, k)
            if key not in got:
                bad.append('%s missing' % key)
            elif got[key] != str(v):
                bad.append('%s=%s, expected %s' % (key, got[key], v))
        print('%s %d - %s [%s]' % ('not ok' if bad else 'ok', n, what, hexs.strip()))
        if bad:
            failed += 1
            print('#   ' + '; '.join(bad))
            print('#   got: ' + line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
