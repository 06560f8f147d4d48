#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every row of insn_tables.h (legacy maps under each mandatory prefix and
# ModRM form, VEX and EVEX maps) against GNU objdump; see tests/README.md.
TOP=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$TOP" -f tests/decoder.mk host-tools >/dev/null || {
	echo "1..1"
	echo "not ok 1 - the host tools build (make -f tests/decoder.mk host-tools)"
	exit 1
}
exec python3 "$TOP/tests/decoder/rows.py" --tap --dump "$TOP/build/decoder/insn-dump" \
	--cs "$TOP/build/decoder/cs-compare"
