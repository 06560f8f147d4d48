#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/31-kernel-selftests.t: the kernel's own self-tests, run as
# kedr_sample targets, still pass; ftrace and kprobes still see a function
# that runs instrumented.
#
#  - test_user_copy: its init (one big function, test_user_copy_init)
#    checks copy_{to,from}_user, get_user/put_user, clear_user ... with good
#    and bad addresses; insmod fails if any check fails, and on success it
#    logs "test_user_copy: tests passed.". NB: its faults happen in the
#    kernel's out-of-line helpers; its one __ex_table entry of its own
#    (clear_user's inline "rep stosb") never faults in these checks. A fault
#    fixed up inside instrumented code is tested in 30-mechanisms.t.
#  - test_static_keys: its init calls verify_keys() three times, with
#    invert_keys() in between (see its disassembly); verify_keys() calls
#    each of its 18 test functions, each a static_branch_*() or
#    static_key_*() on one key, and compares with the key's state; insmod
#    fails if any differs. test_static_key_base, which it needs, only
#    defines and exports keys (no __jump_table, no test code): it is loaded
#    first, not instrumented; its keys' branches are in test_static_keys.
#  - test_bpf: the BPF interpreter's and JIT's self-tests, the first 200 of
#    them (test_range=0,199; all of them take 90 s instrumented); insmod
#    fails if any fails, and the log says "test_bpf: Summary: 200 PASSED,
#    0 FAILED". It replaces test_user_copy where the kernel has none: in
#    6.11 that became a KUnit test (usercopy_kunit), and Debian's 6.12 has
#    CONFIG_KUNIT off; the kernel's config says so, and this test checks it.
#  - the function tracer (set_ftrace_filter) and a kprobe event on
#    mech_branch of kedr_mech_target count exactly the calls the script
#    makes while the function is instrumented.
#
# Two lab runs, about a minute; in each, everything is done with fast=1,
# then again with fast=0 (the simple instrumenter).

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

moddir=$(lab_corpus)/lib
config=/boot/config-$(lab_kver)
selftests="test_static_keys test_static_key_base test_bpf"
if grep -q '^CONFIG_TEST_USER_COPY=m$' "$config"; then
	selftests="test_user_copy $selftests"
	like "$(readelf -SW "$moddir/test_user_copy.ko")" ' __ex_table ' \
		"test_user_copy has an __ex_table of its own"
else
	ok "no test_user_copy in $(lab_kver): CONFIG_TEST_USER_COPY is not in its config" \
		test ! -e "$moddir/test_user_copy.ko" -a "$(grep -c '^CONFIG_TEST_USER_COPY' "$config")" = 0
	ok "(since 6.11 it is KUnit's usercopy_kunit, and this kernel has CONFIG_KUNIT off)" \
		grep -q '^# CONFIG_KUNIT is not set$' "$config"
fi
for m in $selftests; do
	ok "Debian ships $m.ko" test -f "$moddir/$m.ko"
done
# What the tests below count on, read from the modules themselves (not the
# __pfx_ padding symbols of 6.12).
tests=' t [a-z][a-z_]*_static_(branch_(un)?likely|key_(true|false))$'
is "$(nm "$moddir/test_static_keys.ko" | grep -cE "$tests")" 18 \
	"test_static_keys has 18 test functions"
like "$(readelf -SW "$moddir/test_static_keys.ko")" ' __jump_table ' "test_static_keys has a __jump_table"
unlike "$(readelf -SW "$moddir/test_static_key_base.ko")" ' __jump_table ' \
	"test_static_key_base has none (nothing there to instrument)"

# ---- 1. the self-tests ---------------------------------------------------
guest=$(lab_script selftests.sh <<'GUEST'
. /lab/tap.sh
O=/lab/output.txt
calls() { grep -c "^TID=0x[0-9a-f]* $1: addr=0x[0-9a-f]* (\"$2\")\$" $O; }
# sample_log: kedr_sample's messages since the last call
sample_log() {
	dmesg | grep '\[sample\]' >/lab/sample.all
	tail -n +$((${seen:-0} + 1)) /lab/sample.all
	seen=$(wc -l </lab/sample.all)
}

for F in 1 0; do	# the fast instrumenter, then the simple one
diag "---- fast=$F"
# test_user_copy, where the kernel has it
if [ -f /lab/files/user_copy ]; then
ok "insmod kedr_sample target_name=test_user_copy" \
	insmod /lab/kedr_sample.ko fast=$F target_name=test_user_copy num_records=100000 || exit 1
ok "test_user_copy: modprobe succeeds (every check passed)" modprobe test_user_copy
like "$(dmesg | grep 'test_user_copy:')" 'test_user_copy: tests passed\.' \
	"test_user_copy: the log says \"tests passed.\""
log=$(sample_log)
diag "$(printf '%s\n' "$log" | grep -E 'functions|left alone')"
like "$log" 'instrumented [1-9][0-9]* functions, left alone 0;' \
	"test_user_copy: every function instrumented, none left alone"
ok "rmmod test_user_copy" rmmod test_user_copy
cat /sys/kernel/debug/kedr_sample/output >$O
ok "rmmod kedr_sample" rmmod kedr_sample
diag "test_user_copy: $(head -n 1 $O)"
init=$(calls entry '\(test_user_copy_init\|init_module\)')
is "$init $(calls exit '\(test_user_copy_init\|init_module\)')" "1 1" \
	"test_user_copy: its init (which runs the checks) was entered and left once, instrumented"
like "$(head -n 1 $O)" 'reads: [1-9][0-9]*; writes: [1-9]' \
	"test_user_copy: its reads and writes were recorded"
fi

# test_bpf, the first 200 tests
ok "insmod kedr_sample fast=$F target_name=test_bpf" \
	insmod /lab/kedr_sample.ko fast=$F target_name=test_bpf || exit 1
ok "test_bpf: modprobe succeeds (every test passed)" \
	modprobe test_bpf test_suite=test_bpf test_range=0,199
like "$(dmesg | grep 'test_bpf: Summary:')" 'test_bpf: Summary: 200 PASSED, 0 FAILED' \
	"test_bpf: the log says \"200 PASSED, 0 FAILED\""
log=$(sample_log)
diag "$(printf '%s\n' "$log" | grep -E 'functions|left alone|__pfx_')"
like "$log" 'instrumented [1-9][0-9]* functions, left alone 0;' \
	"test_bpf: every function instrumented, none left alone"
ok "rmmod test_bpf" rmmod test_bpf
going=$(sample_log | sed -n 's/.* is going: .*, \([0-9]*\) entries, \([0-9]*\) exits.*/\1 \2/p')
cat /sys/kernel/debug/kedr_sample/output >$O
ok "rmmod kedr_sample" rmmod kedr_sample
diag "test_bpf: $(head -n 1 $O); entries and exits: $going"
is "$(calls entry '\(test_bpf_init\|init_module\)')" 1 \
	"test_bpf: its init (which runs the tests) was entered, instrumented"
like "$going" '^([1-9][0-9]*) \1$' "test_bpf: as many exits as entries (all counted)"
like "$(head -n 1 $O)" 'reads: [1-9][0-9]*; writes: [1-9]' \
	"test_bpf: its reads and writes were recorded"

# test_static_keys (test_static_key_base first, not instrumented)
ok "modprobe test_static_key_base (not a target)" modprobe test_static_key_base
ok "insmod kedr_sample target_name=test_static_keys" \
	insmod /lab/kedr_sample.ko fast=$F target_name=test_static_keys num_records=100000 || exit 1
ok "test_static_keys: modprobe succeeds (every key verified)" modprobe test_static_keys
log=$(sample_log)
diag "$(printf '%s\n' "$log" | grep -E 'functions|left alone')"
like "$log" 'instrumented [1-9][0-9]* functions, left alone 0;' \
	"test_static_keys: every function instrumented, none left alone"
ok "rmmod test_static_keys" rmmod test_static_keys
cat /sys/kernel/debug/kedr_sample/output >$O
ok "rmmod kedr_sample" rmmod kedr_sample
ok "rmmod test_static_key_base" rmmod test_static_key_base
diag "test_static_keys: $(head -n 1 $O)"
is "$(calls entry verify_keys.constprop.0) $(calls entry invert_keys.constprop.0)" "3 2" \
	"test_static_keys: verify_keys entered 3 times, invert_keys twice"
n=0
tests='("[a-z_]*_static_\(branch_likely\|branch_unlikely\|key_true\|key_false\)")'
for f in $(grep -o "$tests" $O | sort -u | tr -d '"()'); do
	n=$((n + 1))
	is "$(calls entry $f) $(calls exit $f)" "3 3" "test_static_keys: $f entered and left 3 times"
done
is "$n" 18 "test_static_keys: all 18 test functions ran instrumented"
done
GUEST
)
files=()
case " $selftests " in
*" test_user_copy "*) touch "$TAP_TMP/user_copy" && files=(--file "$TAP_TMP/user_copy") ;;
esac
lab_tap --timeout 420 --modules "$selftests" "${files[@]}" "$guest"

# ---- 2. ftrace and kprobes on an instrumented function -------------------
guest=$(lab_script tracing.sh <<'GUEST'
. /lab/tap.sh
D=/sys/kernel/debug/kedr_mech_target
T=/sys/kernel/debug/tracing
O=/lab/output.txt
calls() { grep -c "^TID=0x[0-9a-f]* $1: addr=0x[0-9a-f]* (\"$2\")\$" $O; }
# branch N: read "key" N times (each read runs mech_branch once)
branch() {
	_r=
	for _i in $(seq "$1"); do _r="$_r$(cat $D/key)"; done
	echo "$_r"
}
fhits() { grep -c ' mech_branch <-' $T/trace; }
khits() { grep -c 'mech_probe: (mech_branch+0x0/' $T/trace; }

for F in 1 0; do	# the fast instrumenter, then the simple one
diag "---- fast=$F"
ok "insmod kedr_sample target_name=kedr_mech_target" \
	insmod /lab/kedr_sample.ko fast=$F target_name=kedr_mech_target num_records=100000 || exit 1
ok "insmod kedr_mech_target" insmod /lab/kedr_mech_target.ko || exit 1
unlike "$(dmesg | grep 'left alone:')" 'left alone: mech_branch \(' "mech_branch is not left alone"

# the function tracer, on mech_branch only
ok "set_ftrace_filter accepts mech_branch" sh -c "echo mech_branch >$T/set_ftrace_filter"
like "$(cat $T/set_ftrace_filter)" '^mech_branch' "set_ftrace_filter is mech_branch"
ok "function tracer on" sh -c "echo function >$T/current_tracer"
echo >$T/trace
is "$(branch 3)" "000" "ftrace: mech_branch works (key off)"
echo 1 >$D/key
is "$(branch 2)" "11" "ftrace: mech_branch works (key on)"
echo 0 >$D/key
is "$(fhits)" 5 "ftrace: 5 calls of mech_branch traced"
ok "function tracer off" sh -c "echo nop >$T/current_tracer"
echo >$T/set_ftrace_filter

# a kprobe event at mech_branch
ok "kprobe event p:mech_probe kedr_mech_target:mech_branch" \
	sh -c "echo 'p:mech_probe kedr_mech_target:mech_branch' >>$T/kprobe_events"
ok "kprobe event on" sh -c "echo 1 >$T/events/kprobes/mech_probe/enable"
echo >$T/trace
is "$(branch 4)" "0000" "kprobe: mech_branch works"
is "$(khits)" 4 "kprobe: 4 hits of mech_probe"

# both at once, then neither
echo mech_branch >$T/set_ftrace_filter
echo function >$T/current_tracer
echo >$T/trace
echo 1 >$D/key
is "$(branch 3)" "111" "both: mech_branch works (key on)"
echo 0 >$D/key
is "$(fhits) $(khits)" "3 3" "both: 3 calls traced, 3 kprobe hits"
diag_cmd grep -m 2 'mech_branch' $T/trace
echo nop >$T/current_tracer
echo 0 >$T/events/kprobes/mech_probe/enable
ok "kprobe event removed" sh -c "echo '-:mech_probe' >>$T/kprobe_events"
echo >$T/trace
is "$(branch 2)" "00" "neither: mech_branch works"
is "$(fhits) $(khits)" "0 0" "neither: no hit"
is "$(cat /proc/sys/kernel/ftrace_enabled)" 1 "ftrace is still enabled"

ok "rmmod kedr_mech_target" rmmod kedr_mech_target
cat /sys/kernel/debug/kedr_sample/output >$O
ok "rmmod kedr_sample" rmmod kedr_sample
is "$(calls entry mech_branch) $(calls exit mech_branch)" "14 14" \
	"kedr_sample recorded all 14 calls of mech_branch (entry and exit)"
done
GUEST
)
lab_tap --timeout 180 "$guest"

done_testing
