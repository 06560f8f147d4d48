#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/02-sample-target.t: the sample target, cfake (kedr_sample_target.ko),
# behaves like a fixed-size file: write and read back several sizes, seek,
# short reads, ENOSPC at the end, bad parameters, load and unload twice.
# Plain, without kedr_sample: one guest run.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

guest=$(lab_script cfake.sh <<'GUEST'
. /lab/tap.sh
size=4000

ok "insmod with cfake_ndevices=0 fails" sh -c '! insmod /lab/kedr_sample_target.ko cfake_ndevices=0 2>/dev/null'
like "$(dmesg | grep cfake)" 'invalid parameters: cfake_ndevices=0' "and says why"

for round in 1 2; do
	ok "round $round: insmod kedr_sample_target" insmod /lab/kedr_sample_target.ko
	ok "round $round: /dev/cfake0 exists" test -c /dev/cfake0
	ok "round $round: /dev/cfake1 exists" test -c /dev/cfake1

	for n in 1 100 3999 4000; do
		dd if=/dev/urandom of=/tmp/in bs=$n count=1 2>/dev/null
		dd if=/tmp/in of=/dev/cfake0 bs=$n count=1 2>/dev/null
		dd if=/dev/cfake0 of=/tmp/out bs=$n count=1 2>/dev/null
		ok "round $round: $n bytes written read back equal" cmp -s /tmp/in /tmp/out
	done
	is "$(cat /dev/cfake0 | wc -c)" "$size" "round $round: a whole read returns the buffer size"
	is "$(dd if=/dev/cfake0 bs=5000 count=1 2>/dev/null | wc -c)" "$size" \
		"round $round: a read of 5000 bytes is short: $size"
	is "$(dd if=/dev/cfake0 bs=1 skip=3990 2>/dev/null | wc -c)" "10" \
		"round $round: reading from offset 3990 gives 10 bytes, then end of file"

	printf 'ABCDEFGH' | dd of=/dev/cfake1 bs=1 seek=1000 conv=notrunc 2>/dev/null
	is "$(dd if=/dev/cfake1 bs=1 skip=1000 count=8 2>/dev/null)" "ABCDEFGH" \
		"round $round: seek (SEEK_SET) then write, seek then read"
	is "$(dd if=/dev/cfake0 bs=1 skip=1000 count=8 2>/dev/null | tr -d '\0' | grep -c ABCDEFGH)" "0" \
		"round $round: devices have separate buffers"

	err=$(printf 'x' | dd of=/dev/cfake1 bs=1 seek=$size 2>&1)
	like "$err" 'No space left on device' "round $round: a write at the end fails with ENOSPC"
	out=$(printf '0123456789' | dd of=/dev/cfake1 bs=1 seek=3995 2>&1)
	like "$out" 'No space left on device' "round $round: a write across the end stops at the end"
	is "$(dd if=/dev/cfake1 bs=1 skip=3995 2>/dev/null)" "01234" \
		"round $round: the bytes up to the end were written"
	F=/lab/files/fileops
	is "$($F seek /dev/cfake0 4000 set)" "4000" "round $round: lseek to the end (SEEK_SET)"
	is "$($F seek /dev/cfake0 -10 end)" "3990" "round $round: lseek -10 from the end (SEEK_END)"
	is "$($F seek /dev/cfake0 4001 set)" "error: EINVAL" "round $round: lseek past the end fails with EINVAL"
	is "$($F seek /dev/cfake0 -1 set)" "error: EINVAL" "round $round: lseek before the start fails with EINVAL"
	is "$($F seek /dev/cfake0 5 cur)" "5" "round $round: lseek 5 from the start of a new file (SEEK_CUR)"
	is "$($F badwrite /dev/cfake0)" "error: EFAULT" "round $round: write() from a bad pointer fails with EFAULT"
	is "$($F badread /dev/cfake0)" "error: EFAULT" "round $round: read() into a bad pointer fails with EFAULT"

	ok "round $round: rmmod kedr_sample_target" rmmod kedr_sample_target
	ok "round $round: /dev/cfake0 is gone" test ! -e /dev/cfake0
done
GUEST
)
make -s -C "$TAP_TOP" -f tests/guest.mk guest-tools >&2
lab_tap --file "$TAP_TOP/build/guest/fileops" "$guest"
done_testing
