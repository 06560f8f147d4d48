#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/bench/guest-bench.sh: the lab side of `make bench` (one boot).
# tests/bench/bench.py substitutes @REPS@, @NBUF@, @NCHASE@, @PLAIN_SCALE@,
# @COUNT_SCALE@, @DIV@, and @RUNS@ with one "run MODE ..." line per way of
# loading kedr_sample (KEDR_MODES in bench.py). Each repetition times the
# four workloads of kedr_bench_target (buf, chase, live, dead) plain, then
# instrumented in each mode (fast=1 counting only, the store full at once;
# the store not full; the same with fast=0), one right after the other, so
# that each ratio compares runs made moments apart (the host is shared).
# Then tests/bench/hostbench (static), in user space on the same emulated CPU: the
# steps between fast=0 and fast=1 that kedr_sample has no switch for.
# Prints "RESULT <mode> <rep> <workload result>", "TOTALS <mode> <workload>
# <events> <[Totals]>", "UTIME<fast> ...", "LOAD <mode> ns=... status=..." for
# bench.py.

cd /lab || exit 1
REPS=@REPS@
RUN=/sys/kernel/debug/kedr_bench/run
T=/lab/files/timeit
K=/lab/kedr_sample.ko
OUT=/sys/kernel/debug/kedr_sample/output

n_of() { [ "$1" = chase ] && echo @NCHASE@ || echo @NBUF@; }
warm_of() { [ "$1" = chase ] && echo 20000 || echo 2; }
run() {	# MODE WORKLOAD REP [KEDR-ARGS]: load, warm up, one timed run, unload
	if [ -n "$4" ]; then insmod $K target_name=kedr_bench_target $4 || exit 3; fi
	insmod kedr_bench_target.ko || exit 4
	echo "$2 $(warm_of $2)" > $RUN || exit 5	# code and caches warm
	# plain runs are @PLAIN_SCALE@ times longer, counting-only runs with
	# fast=1 @COUNT_SCALE@ times (the loops alone take milliseconds under
	# TCG, too short to time well); bench.py compares time per event
	n=$(n_of $2)
	[ $1 = plain ] && n=$((n * @PLAIN_SCALE@))
	[ $1 = count ] && n=$((n * @COUNT_SCALE@))
	echo "$2 $n" > $RUN || exit 5
	r=$(cat $RUN)
	echo "RESULT $1 $3 $r"
	rmmod kedr_bench_target || exit 6
	if [ -n "$4" ]; then
		e=${r##*events=}
		echo "TOTALS $1 $2 ${e%% *} $(head -1 $OUT)"
		rmmod kedr_sample || exit 7
	fi
}

i=1
while [ $i -le $REPS ]; do
	for w in buf chase live dead; do
		run plain $w $i
@RUNS@
	done
	i=$((i + 1))
done
dmesg | grep '\[sample\] instrumented' | tail -1

# the steps between the modes, in user space (tests/bench/hostbench.c)
for f in 1 0; do
	ENGINE_ARENA_MB=256 /lab/files/hostbench-static -f $f -r $REPS -d @DIV@ \
		/lab/files/workload.o > /lab/hostbench.out || { cat /lab/hostbench.out; exit 11; }
	sed "s/^TIME /UTIME$f /" /lab/hostbench.out
done

# loading ext4, plain and with kedr_sample instrumenting it, in pairs
modprobe ext4 || exit 8			# its dependencies stay loaded
rmmod ext4
i=1
while [ $i -le $REPS ]; do
	echo "LOAD plain $($T modprobe ext4)"
	rmmod ext4 || exit 9
	insmod $K target_name=ext4 || exit 10
	echo "LOAD kedr $($T modprobe ext4)"
	rmmod ext4 || exit 9
	[ $i = 1 ] && dmesg | grep '\[sample\] \(instrumented\|left alone\)' |
		sed 's/.*(\([0-9]* bytes\)): /left alone: /; s/ (at +0x[0-9a-f]*)//' | sort | uniq -c
	rmmod kedr_sample
	i=$((i + 1))
done
exit 0
