#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/bench/guest-bench.sh: the lab side of `make bench` (one boot).
# tests/bench/bench.py substitutes @REPS@, @NBUF@, @NCHASE@. Each repetition
# times the same workload plain, then instrumented counting only, then
# instrumented with the store not full, both with fast=1 and then with
# fast=0 (the simple instrumenter), one right after the other, so that
# each ratio compares runs made moments apart (the host is shared).
# Prints "RESULT <mode> <rep> <workload result>", "TOTALS <mode> <workload>
# <[Totals]>", "LOAD <mode> ns=... status=..." for bench.py.

cd /lab || exit 1
REPS=@REPS@
RUN=/sys/kernel/debug/kedr_bench/run
T=/lab/files/timeit
K=/lab/kedr_sample.ko
OUT=/sys/kernel/debug/kedr_sample/output

n_of() { [ "$1" = buf ] && echo @NBUF@ || echo @NCHASE@; }
# plain runs are @PLAIN_SCALE@ times longer, counting-only runs with fast=1
# @COUNT_SCALE@ times (the loops alone take milliseconds under TCG, too
# short to time well); bench.py compares time per unit of work
n_plain() { echo $(( $(n_of $1) * @PLAIN_SCALE@ )); }
n_count() { echo $(( $(n_of $1) * @COUNT_SCALE@ )); }
warm_of() { [ "$1" = buf ] && echo 2 || echo 20000; }
run() {	# MODE WORKLOAD REP [KEDR-ARGS]: load, warm up, one timed run, unload
	if [ -n "$4" ]; then insmod $K target_name=kedr_bench_target $4 || exit 3; fi
	insmod kedr_bench_target.ko || exit 4
	echo "$2 $(warm_of $2)" > $RUN || exit 5	# code and caches warm
	if [ "$3" != warm ]; then
		n=$(n_of $2)
		[ $1 = plain ] && n=$(n_plain $2)
		[ $1 = count ] && n=$(n_count $2)
		echo "$2 $n" > $RUN || exit 5
		echo "RESULT $1 $3 $(cat $RUN)"
	fi
	rmmod kedr_bench_target || exit 6
	if [ -n "$4" ]; then
		echo "TOTALS $1 $2 $(head -1 $OUT)"
		rmmod kedr_sample || exit 7
	fi
}

# the events of loading, warming up and unloading alone
for w in buf chase; do run warm $w warm num_records=1; done
dmesg | grep '\[sample\] instrumented' | tail -1

i=1
while [ $i -le $REPS ]; do
	for w in buf chase; do
		run plain $w $i
		run count $w $i num_records=1		# the store is full at once
		run store $w $i num_records=4194304	# it holds every event
		run count0 $w $i "num_records=1 fast=0"	# the same, simple
		run store0 $w $i "num_records=4194304 fast=0"
		run ring $w $i "num_records=65536 keep=last"	# never full: all stored
	done
	i=$((i + 1))
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
