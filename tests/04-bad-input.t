#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/04-bad-input.t: bad input gets a clear error and breaks nothing:
# missing or too long target_name, bad num_records, a target that is already
# loaded, a target whose init fails, rmmod of kedr_sample while its target is
# loaded, reading the output too early or from several readers at once,
# loading the target a second time. One guest run; then a second, in a
# 256 MB guest, where the largest store (num_records=4194304, 200 MB with
# the ring's numbers) cannot be allocated: the OOM killer ends insmod while
# kedr_sample's init waits for the pages, vzalloc fails, and init must
# leave nothing behind.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

guest=$(lab_script bad-input.sh <<'GUEST'
. /lab/tap.sh
KS=/lab/kedr_sample.ko
T=/lab/kedr_sample_target.ko
OUT=/sys/kernel/debug/kedr_sample/output
fails() { ! "$@" 2>/dev/null; }
last_sample() { dmesg | grep '\[sample\]' | tail -1; }

ok "insmod without target_name fails" fails insmod $KS
like "$(last_sample)" 'target_name is not set' "and says target_name is not set"
long=$(printf 'x%.0s' $(seq 60))
ok "insmod with a 60-character target_name fails" fails insmod $KS target_name=$long
like "$(last_sample)" 'module names have at most 55' "and says how long a name may be"
ok "insmod with num_records=0 fails" fails insmod $KS target_name=x num_records=0
like "$(last_sample)" 'num_records is 0' "and says num_records is wrong"

ok "insmod the target first" insmod $T
ok "then insmod kedr_sample for it fails" fails insmod $KS target_name=kedr_sample_target
like "$(last_sample)" '"kedr_sample_target" is already loaded' "and says the target is already loaded"
ok "rmmod the target" rmmod kedr_sample_target

ok "insmod kedr_sample, the name with dashes" insmod $KS target_name=kedr-sample-target
like "$(last_sample)" 'waiting for "kedr_sample_target"' "dashes become underscores"
ok "the target with cfake_ndevices=0 fails its init" fails insmod $T cfake_ndevices=0
like "$(dmesg | grep '\[sample\]' | tail -3)" 'target "kedr_sample_target" is going' \
	"kedr_sample sees the failed target go"
ok "kedr_sample holds no reference after that: rmmod works" rmmod kedr_sample

ok "insmod kedr_sample again" insmod $KS target_name=kedr_sample_target
ok "the target loads, instrumented" insmod $T
like "$(dmesg | grep '\[sample\] instrumented' | tail -1)" 'instrumented [1-9][0-9]* functions' \
	"kedr_sample instrumented it"
echo first > /dev/cfake0
is "$(head -c 5 /dev/cfake0)" "first" "the instrumented target works"
is "$(wc -c < $OUT)" "0" "the output is empty while the target is loaded"
FN=/sys/kernel/debug/kedr_sample/functions
like "$(cat $FN)" 'cfake_open 0x[0-9a-f]+ [0-9]+ instance 0x[0-9a-f]+ [0-9]+' \
	"kedr_sample/functions shows where cfake_open's instance is"
ok "rmmod kedr_sample while the target is loaded fails" fails rmmod kedr_sample
like "$(cat /proc/modules)" '^kedr_sample ' "kedr_sample is still there"
echo again > /dev/cfake1
is "$(head -c 5 /dev/cfake1)" "again" "and the target still works"
ok "rmmod the target" rmmod kedr_sample_target
like "$(head -1 $OUT)" '^\[Totals\] reads: [1-9][0-9]*; writes: [1-9][0-9]*; locked updates: [0-9]+\.$' \
	"the output starts with the totals once the target is gone"
like "$(cat $OUT)" 'entry: addr=0x[0-9a-f]+ \("cfake_write"\)' "it shows cfake_write"
for i in 1 2 3 4; do cat $OUT > /tmp/out.$i & done; wait
ok "four concurrent readers see the same output (1 = 2)" cmp -s /tmp/out.1 /tmp/out.2
ok "four concurrent readers see the same output (1 = 4)" cmp -s /tmp/out.1 /tmp/out.4
cat $OUT > /tmp/out.5
ok "a later reader sees it too" cmp -s /tmp/out.1 /tmp/out.5

like "$(cat $FN)" 'cfake_open 0x[0-9a-f]+ [0-9]+ instance gone' \
	"and that the instance is gone with the target"
ok "the target loads a second time" insmod $T
ok "and goes, without being used" rmmod kedr_sample_target
unlike "$(cat $OUT)" 'cfake_write' "the second time starts afresh: no cfake_write from the first"
like "$(cat $OUT)" 'entry: addr=0x[0-9a-f]+ \("cfake_init"\)' "but its own init is there"
ok "rmmod kedr_sample" rmmod kedr_sample
ok "no kedr_sample directory left in debugfs" test ! -e /sys/kernel/debug/kedr_sample
GUEST
)
lab_tap "$guest"

guest=$(lab_script no-room-for-the-store.sh <<'GUEST'
. /lab/tap.sh
KS=/lab/kedr_sample.ko
# the OOM killer must pick insmod, not this script
echo -1000 >/proc/self/oom_score_adj
sh -c "echo 1000 >/proc/self/oom_score_adj; exec insmod $KS target_name=kedr_sample_target num_records=4194304" 2>/dev/null
r=$?
isnt "$r" 0 "insmod with a 200 MB store in a 256 MB guest does not succeed (status $r)"
like "$(dmesg)" 'kedr_sample_init' "the allocation failed in kedr_sample's init (the OOM report names it)"
ok "kedr_sample is not loaded" sh -c '! grep -q "^kedr_sample " /proc/modules'
ok "no kedr_sample directory in debugfs" test ! -e /sys/kernel/debug/kedr_sample
unlike "$(dmesg)" 'BUG:|Oops|WARNING:|general protection' "no kernel bug or warning, only the OOM report"
ok "then kedr_sample loads with the default store" insmod $KS target_name=kedr_sample_target
ok "the target loads and is instrumented" insmod /lab/kedr_sample_target.ko
like "$(dmesg | grep '\[sample\] instrumented')" 'instrumented [1-9][0-9]* functions' \
	"[sample] says what was instrumented"
ok "rmmod the target" rmmod kedr_sample_target
ok "rmmod kedr_sample" rmmod kedr_sample
GUEST
)
lab_tap --mem 256 "$guest"
done_testing
