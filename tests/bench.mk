# SPDX-License-Identifier: GPL-2.0
#
# tests/bench.mk - kedr_sample's benchmarks (not tests). Included by the top
# Makefile; also usable alone: make -f tests/bench.mk bench
#
#   make bench   run-time slowdown in the lab (kedr_bench_target) and on the
#                host's CPU (the same loops instrumented by the user-space
#                engine, run with a replica of part 6's stub), engine
#                speed vs Capstone and code growth over the corpus (user
#                space), the time to load ext4 instrumented vs plain; prints
#                the figures and writes build/bench/results.md
#
# BENCH_REPS (default 5) repetitions; BENCH_ARGS=--no-lab or --no-engine
# runs one half.

BENCH_TOP ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BENCH_BUILD := $(BENCH_TOP)/build/bench
BENCH_REPS ?= 5
BENCH_ARGS ?=

.PHONY: bench

$(BENCH_BUILD)/timeit: $(BENCH_TOP)/tests/bench/timeit.c
	@mkdir -p $(BENCH_BUILD)
	gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

# the workloads of kedr_bench_target as a plain object, for `engine run`
# (no red zone, as in the kernel: the sites push below %rsp)
$(BENCH_BUILD)/workload.o: $(BENCH_TOP)/tests/bench/workload.c
	@mkdir -p $(BENCH_BUILD)
	gcc -O2 -mno-red-zone -fno-pie -mcmodel=kernel -fno-asynchronous-unwind-tables \
		-fno-stack-protector -Wall -Wextra -Werror -c -o $@ $<

bench: $(BENCH_BUILD)/timeit $(BENCH_BUILD)/workload.o
	$(MAKE) -C $(BENCH_TOP) lab-modules
	$(MAKE) -C $(BENCH_TOP) -f tests/engine.mk engine-tools
	python3 $(BENCH_TOP)/tests/bench/bench.py --reps $(BENCH_REPS) $(BENCH_ARGS)
	@# the figures of the last full run on 6.1 go into the walkthrough (doc/)
	@if [ -z "$(BENCH_ARGS)" ] && [ "$${LAB_KERNEL:-6.1}" = 6.1 ]; then \
		cp $(BENCH_BUILD)/results.md $(BENCH_TOP)/doc/bench-results.md; \
		echo "bench: doc/bench-results.md updated"; \
	else echo "bench: build/bench/results.md (doc/bench-results.md keeps the last full run on 6.1)"; fi
