#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Instruction boundaries vs GNU objdump on a fixed, seeded sample of the
# corpus plus hand-picked hard modules (tests/decoder/sample.py). The whole
# corpus: make -f tests/decoder.mk corpus-check.
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'tests/decoder'))
import sample  # noqa: E402

mods = sample.modules_or_fail(TOP)
print('# seed %d, %d sampled + hard modules' % (sample.SEED, len(mods)))
sys.stdout.flush()
sys.exit(subprocess.run(['python3', os.path.join(TOP, 'tests/decoder/compare-objdump.py'), '--tap',
                         '--jobs', '2', '--dump', os.path.join(TOP, 'build/decoder/insn-dump')] + mods
                        ).returncode)
