#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A short fuzz run of kedr_decode() under AddressSanitizer/UBSan (the long
# one: make -f tests/decoder.mk fuzz-decode, 1M strings). Rerun a failure
# with: build/decoder/fuzz-decode COUNT SEED
TOP=$(cd "$(dirname "$0")/.." && pwd)
SEED=${FUZZ_SEED:-20261127}
COUNT=${FUZZ_SHORT_COUNT:-200000}
make -s -C "$TOP" -f tests/decoder.mk host-tools >/dev/null || {
	echo "1..1"
	echo "not ok 1 - the host tools build (make -f tests/decoder.mk host-tools)"
	exit 1
}
echo "1..1"
if out=$("$TOP/build/decoder/fuzz-decode" "$COUNT" "$SEED" 2>&1); then
	echo "$out" | sed 's/^[^#]/# &/'
	echo "ok 1 - $COUNT random byte strings, seed $SEED: no out-of-bounds read, no crash, all checks hold"
else
	echo "$out" | sed 's/^/# /'
	echo "not ok 1 - fuzz run failed (seed $SEED)"
fi
