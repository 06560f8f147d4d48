#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/07-comment-facts.t: the transcripts in the comments of kedr_sample.c
# are what a run gives, so that a change which changes them fails here
# rather than leaving the comments stale. One lab run of the session the
# header of kedr_sample.c shows (the cfake scenario of `make demo`), with
# kedr_sample/functions read while the target is loaded; then, against
# that run:
#
#   - the header's "[sample]" lines are the run's, in order;
#   - the header's [Totals] line is the run's, and the records it shows
#     are a run of consecutive records of the output (addresses aside:
#     they change with every load);
#   - so are the records in "DOC: The output";
#   - each line of the sample in "DOC: Where is my function?" is a line of
#     kedr_sample/functions (addresses aside).
#
# And the figures the comments give about Debian's modules, against the
# user-space engine (the very code of kedr_sample.c) run on the lab
# kernel's modules: the share of %rsp-based operands among the accesses
# kedr_sample could record (process_sp_accesses), the average length of an
# instruction (plan_function()), how much bigger an instance is and how
# much code the default area holds (DOC: Where the instances live), the
# size of a decoded instruction and what ext4's take (struct kedr_func,
# the limitations).
#
# Numbers and all on the kernel series the header names ("6.1"); on
# another kernel, where the sample target compiles to other code, only the
# words are compared.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

src=$TAP_TOP/kedr_sample.c
guest=$(lab_script comment-facts.sh <<'GUEST'
cd /lab || exit 1
insmod kedr_sample.ko target_name=kedr_sample_target || exit 1
insmod kedr_sample_target.ko || exit 2
echo hello > /dev/cfake0
dd if=/dev/cfake0 bs=5 count=1 2>/dev/null; echo
sed 's/^/FUNCS /' /sys/kernel/debug/kedr_sample/functions
rmmod kedr_sample_target || exit 3
dmesg | grep '\[sample\]' | sed 's/^\[ *[0-9.]*\] //; s/^/LOG /'
sed 's/^/OUT /' /sys/kernel/debug/kedr_sample/output
rmmod kedr_sample
GUEST
)
lab_exec "$guest"
is "$LAB_STATUS" 0 "the session ran in the lab (exit 0, no kernel problem)" ||
	diag "$(tail -n 15 "$LAB_ERR" "$LAB_OUT")"
run() { sed -n "s/^$1 //p" "$LAB_OUT"; }
# comment BEGIN-ERE END-ERE LINE-ERE: the lines of a comment block of
# kedr_sample.c that match LINE-ERE, without their " *   "
comment() {
	awk -v b="$1" -v e="$2" '$0 ~ b { on = 1 } on && $0 ~ e { exit } on' "$src" |
		grep -E "^ \\*   $3" | sed 's/^ \*   //'
}
# contiguous FILE-A FILE-B: the lines of A are consecutive lines of B
contiguous() {
	python3 -c '
import sys
a = open(sys.argv[1]).read().splitlines()
b = open(sys.argv[2]).read().splitlines()
sys.exit(0 if a and any(b[i:i + len(a)] == a for i in range(len(b))) else 1)' "$1" "$2"
}

series=$(sed -n 's/.* run on Debian 12.s \([0-9.]*\) kernel.*/\1/p' "$src" | head -1)
kver=$(lab_kver)
note "the header names kernel $series; the lab runs $kver"
ok "the header says which kernel series it was made on ($series)" test -n "$series"
if [ -n "$series" ] && [ "${kver#"$series".}" != "$kver" ]; then
	digits() { cat; }
	without_pfx_line() { cat; }
else
	digits() { sed -E 's/[0-9]+/N/g'; }	# another kernel: words only
	# and without the line that only 6.12 prints (its __pfx_ padding)
	without_pfx_line() { grep -v ' __pfx_ symbols skipped'; }
	note "another kernel: numbers are not compared"
fi
mask() { sed -E 's/0x[0-9a-f]+/0x.../g' | digits; }

run OUT | mask >"$TAP_TMP/out"
like "$(head -1 "$TAP_TMP/out")" '^\[Totals\]' "the run's output starts with [Totals]"

# ---- the header ----------------------------------------------------------
comment '^ \* A session' '^ \*/' '\[sample\] ' | digits >"$TAP_TMP/h-log"
run LOG | without_pfx_line | digits >"$TAP_TMP/log"
is "$(cat "$TAP_TMP/log")" "$(cat "$TAP_TMP/h-log")" "the header's [sample] lines are the run's"
is "$(comment '^ \* A session' '^ \*/' '\[Totals\]' | mask)" "$(head -1 "$TAP_TMP/out")" \
	"the header's [Totals] line is the run's"
comment '^ \* A session' '^ \*/' 'TID=' | mask >"$TAP_TMP/h-rec"
ok "the header's records ($(wc -l <"$TAP_TMP/h-rec")) are consecutive records of the run" \
	contiguous "$TAP_TMP/h-rec" "$TAP_TMP/out"

# ---- DOC: The output -----------------------------------------------------
comment 'DOC: The output' '^ \*/' 'TID=' | mask >"$TAP_TMP/o-rec"
ok "DOC: The output: its records ($(wc -l <"$TAP_TMP/o-rec")) are consecutive records of the run" \
	contiguous "$TAP_TMP/o-rec" "$TAP_TMP/out"
is "$(comment 'DOC: The output' '^ \*/' '\[Totals\]' | mask)" "$(head -1 "$TAP_TMP/out")" \
	"DOC: The output: its [Totals] line is the run's"

# ---- DOC: Where is my function? ------------------------------------------
run FUNCS | mask >"$TAP_TMP/funcs"
comment 'DOC: Where is my function' '^ \*/' '[a-z_]+ 0x' | mask >"$TAP_TMP/f-doc"
ok "DOC: Where is my function?: it shows lines of kedr_sample/functions" test -s "$TAP_TMP/f-doc"
while IFS= read -r l; do
	ok "kedr_sample/functions has: $l" grep -qxF "$l" "$TAP_TMP/funcs"
done <"$TAP_TMP/f-doc"

# ---- figures about Debian's modules ---------------------------------------
# figure N: the number the comment line that matches ERE says, e.g.
# figure '% of the memory operands' -> 21.6
figure() { grep -E "$1" "$src" | head -1 | grep -oE "$2" | head -1; }
engine_ready
"$ENGINE" check "$K" >"$TAP_TMP/e1" 2>&1
"$ENGINE" check -s "$K" >"$TAP_TMP/es" 2>&1
"$ENGINE" check "$K/fs/ext4/ext4.ko" >"$TAP_TMP/ext4" 2>&1
# sites FILE: the access sites (read write update locked string) of a check
sites() { sed -n 's/^checked: .*read \([0-9]*\), write \([0-9]*\), update \([0-9]*\), locked \([0-9]*\), string \([0-9]*\)).*/\1 \2 \3 \4 \5/p' "$1" |
	awk '{ print $1 + $2 + $3 + $4 + $5 }'; }
insns() { sed -n 's/^checked: [0-9]* functions, \([0-9]*\) instructions.*/\1/p' "$1"; }
orig=$(sed -n 's/^code: \([0-9]*\) original bytes.*/\1/p' "$TAP_TMP/e1")
growth=$(sed -n 's/^code: .*(\([0-9.]*\)x)$/\1/p' "$TAP_TMP/e1")
a=$(sites "$TAP_TMP/e1"); b=$(sites "$TAP_TMP/es"); n=$(insns "$TAP_TMP/e1")
ok "the engine ran on the corpus ($n instructions, $a and $b access sites)" \
	test -n "$n" -a -n "$a" -a -n "$b" -a -n "$orig" -a -n "$growth"
insn_size=$(printf '#include "eshim.h"\n#include "decoder_gen.c"\n#include <stdio.h>\nint main(void) { printf("%%zu\\n", sizeof(struct kedr_insn)); return 0; }\n' |
	gcc -std=gnu11 -I"$TAP_TOP" -I"$TAP_TOP/tests/decoder" -I"$TAP_TOP/tests/engine" \
	    -I"$TAP_TOP/build/engine" -x c -o "$TAP_TMP/sz" - && "$TAP_TMP/sz")
if [ "${kver#6.1.}" != "$kver" ]; then	# the comments' figures are 6.1's
	is "$(figure '% of the memory operands' '[0-9.]+%' | tr -d %)" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", 100 * (b - a) / b }')" \
		"process_sp_accesses: the share of %rsp-based operands"
	is "$(figure 'bytes on average' '[0-9.]+ bytes' | cut -d' ' -f1)" \
		"$(awk -v o="$orig" -v n="$n" 'BEGIN { printf "%.1f", o / n }')" \
		"plan_function(): the average length of an instruction"
	ok "DOC: Where the instances live: an instance is nearly three times its original (${growth}x)" \
		awk -v g="$growth" 'BEGIN { exit !(g >= 2.5 && g < 3) }'
	is "$(figure 'default area hold about' 'about [0-9]+ MB' | grep -oE '[0-9]+')" \
		"$(awk -v g="$growth" 'BEGIN { printf "%.0f", 8 * 1.048576 / g }')" \
		"DOC: Where the instances live: what the default area holds"
	is "$(figure 'kept in memory: [0-9]+ bytes each' '[0-9]+ MB for ext4' | cut -d' ' -f1)" \
		"$(awk -v n="$(insns "$TAP_TMP/ext4")" -v s="$insn_size" 'BEGIN { printf "%.0f", n * s / 1e6 }')" \
		"the limitations: what ext4's decoded instructions take"
fi
is "$(figure 'its instance is written \([0-9]+ bytes each\)' '[0-9]+ bytes' | cut -d' ' -f1)" \
	"$insn_size" "struct kedr_func: a decoded instruction's size"
is "$(figure 'kept in memory: [0-9]+ bytes each' '[0-9]+ bytes' | cut -d' ' -f1)" \
	"$insn_size" "the limitations: a decoded instruction's size"

done_testing
