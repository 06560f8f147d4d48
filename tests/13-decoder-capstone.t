#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Access kind and size of the seed's classes vs Capstone's operand access
# information, on the same sample as 12-decoder-objdump.t. Disagreements must
# be documented (with the SDM text) in tests/decoder/cs-known.txt.
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'tests/decoder'))
import sample  # noqa: E402

mods = sample.modules_or_fail(TOP)
sys.stdout.flush()
sys.exit(subprocess.run([os.path.join(TOP, 'build/decoder/cs-compare'), '--tap', '-k',
                         os.path.join(TOP, 'tests/decoder/cs-known.txt')] + mods).returncode)
