# SPDX-License-Identifier: GPL-2.0
"""The fixed module sample that `make check` uses (tests/1[1-4]-decoder-*.t)."""
import os
import random
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The corpus: CORPUS if given, else the lab kernel's own modules as plain
# .ko files (tests/vm/corpus; LAB_KERNEL picks the kernel); see corpus().
CORPUS = os.environ.get('CORPUS')
SEED = int(os.environ.get('DECODER_SAMPLE_SEED', '2026'))
SIZE = int(os.environ.get('DECODER_SAMPLE_SIZE', '300'))

# Hard cases: AVX/AVX2/AVX-512 crypto, VIA PadLock, VMX/SVM, int n, vmcall,
# crc32, rorx/vpblendd, static-call trampolines (jmp; ud1) in every module.
HARD = [
    'arch/x86/crypto/aesni-intel.ko', 'arch/x86/crypto/poly1305-x86_64.ko',
    'arch/x86/crypto/sha512-ssse3.ko', 'arch/x86/crypto/crc32c-intel.ko',
    'arch/x86/crypto/chacha-x86_64.ko', 'lib/raid6/raid6_pq.ko',
    'drivers/crypto/padlock-sha.ko', 'drivers/crypto/padlock-aes.ko',
    'arch/x86/kvm/kvm-intel.ko', 'arch/x86/kvm/kvm-amd.ko',
    'arch/x86/kernel/cpu/mce/mce-inject.ko', 'drivers/ptp/ptp_kvm.ko',
]


def corpus():
    """The corpus directory; None, with the reason on stderr, if there is none."""
    global CORPUS
    if not CORPUS:
        p = subprocess.run([os.path.join(TOP, 'tests/vm/corpus')], stdout=subprocess.PIPE,
                           universal_newlines=True)
        if p.returncode == 0:
            CORPUS = p.stdout.strip()
    return CORPUS if CORPUS and os.path.isdir(CORPUS) else None


def modules():
    base = corpus()
    mods = []
    for root, _, files in os.walk(base):
        mods += [os.path.join(root, f) for f in files if f.endswith('.ko')]
    mods.sort()
    rnd = list(mods)
    random.Random(SEED).shuffle(rnd)
    hard = [os.path.join(base, h) for h in HARD if os.path.exists(os.path.join(base, h))]
    return sorted(set(rnd[:SIZE]) | set(hard))


def modules_or_fail(top):
    """The sample, once the host tools are built.  Without a corpus or the
    tools the oracle cannot run: one failed test that says why, and exit."""
    why = None
    if not corpus():
        why = 'no corpus: the lab kernel\'s modules (tests/vm/corpus failed, or CORPUS=%s is not a directory)' % CORPUS
    elif subprocess.run(['make', '-s', '-C', top, '-f', 'tests/decoder.mk', 'host-tools'],
                        stdout=subprocess.DEVNULL).returncode:
        why = 'the host tools do not build (make -f tests/decoder.mk host-tools)'
    if why:
        print('1..1')
        print('not ok 1 - the oracle cannot run: %s' % why)
        sys.exit(1)
    print('# corpus: %s' % CORPUS)
    return modules()
