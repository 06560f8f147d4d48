# SPDX-License-Identifier: GPL-2.0
"""The fixed module sample that `make check` uses (tests/1[1-4]-decoder-*.t)."""
import os
import random
import subprocess
import sys

CORPUS = os.environ.get('CORPUS', '/lib/modules/6.1.0-56-amd64/kernel')
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


def modules():
    mods = []
    for root, _, files in os.walk(CORPUS):
        mods += [os.path.join(root, f) for f in files if f.endswith('.ko')]
    mods.sort()
    rnd = list(mods)
    random.Random(SEED).shuffle(rnd)
    hard = [os.path.join(CORPUS, h) for h in HARD if os.path.exists(os.path.join(CORPUS, h))]
    return sorted(set(rnd[:SIZE]) | set(hard))


def modules_or_skip(top):
    """The sample, once the host tools are built; with neither a corpus nor
    the tools, print TAP's skip line and exit."""
    if not os.path.isdir(CORPUS) or subprocess.run(
            ['make', '-s', '-C', top, '-f', 'tests/decoder.mk', 'host-tools'],
            stdout=subprocess.DEVNULL).returncode:
        print('1..0 # SKIP no corpus or host tools')
        sys.exit(0)
    return modules()
