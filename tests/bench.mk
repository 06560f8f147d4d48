# SPDX-License-Identifier: GPL-2.0
#
# tests/bench.mk - kedr_sample's benchmarks (not tests). Included by the top
# Makefile; also usable alone: make -f tests/bench.mk bench
#
#   make bench   what instrumentation costs, fast=0 and fast=1, and what
#                each speed-up of fast=1 buys: in the lab's kernel
#                (kedr_bench_target), in the lab's user space and on the
#                host's CPU (tests/bench/hostbench: the same loops
#                instrumented by the user-space engine, with replicas of
#                the stubs and the steps between them); engine speed vs
#                Capstone and code growth over the corpus (user space), the
#                time to load ext4 instrumented vs plain; prints the
#                figures and writes build/bench/results.md
#
# BENCH_REPS (default 9) repetitions of the run-time figures (the engine's:
# 5, bench.py --engine-reps); BENCH_ARGS=--no-lab or --no-engine
# runs one half.

BENCH_TOP ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BENCH_BUILD := $(BENCH_TOP)/build/bench
BENCH_REPS ?= 9
BENCH_ARGS ?=

.PHONY: bench bench-hostbench

$(BENCH_BUILD)/timeit: $(BENCH_TOP)/tests/bench/timeit.c
	@mkdir -p $(BENCH_BUILD)
	gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

# the workloads of kedr_bench_target as a plain object, for hostbench
# (no red zone, as in the kernel: the sites push below %rsp)
$(BENCH_BUILD)/workload.o: $(BENCH_TOP)/tests/bench/workload.c
	@mkdir -p $(BENCH_BUILD)
	gcc -O2 -mno-red-zone -fno-pie -mcmodel=kernel -fno-asynchronous-unwind-tables \
		-fno-stack-protector -Wall -Wextra -Werror -c -o $@ $<

# hostbench: tests/engine/engine.c (which includes the regions of
# kedr_sample.c that engine-tools extracts) and a timing loop; static for
# the lab's guest, whose heap may land anywhere unless hostbench says so
HB_CFLAGS := -std=gnu11 -Wall -Wextra -Wdeclaration-after-statement -Wvla -Werror -O2 \
	     -fno-pie -no-pie -I$(BENCH_TOP) -I$(BENCH_TOP)/tests/decoder \
	     -I$(BENCH_TOP)/tests/engine -I$(BENCH_TOP)/build/engine
HB_DEPS := $(BENCH_TOP)/tests/bench/hostbench.c $(BENCH_TOP)/tests/engine/engine.c \
	   $(wildcard $(BENCH_TOP)/build/engine/*_gen.c)

bench-hostbench:
	$(MAKE) -C $(BENCH_TOP) -f tests/engine.mk engine-tools
	$(MAKE) -f $(BENCH_TOP)/tests/bench.mk $(BENCH_BUILD)/hostbench $(BENCH_BUILD)/hostbench-static

$(BENCH_BUILD)/hostbench: $(HB_DEPS)
	@mkdir -p $(BENCH_BUILD)
	gcc $(HB_CFLAGS) -o $@ $< -lcapstone

$(BENCH_BUILD)/hostbench-static: $(HB_DEPS)
	@mkdir -p $(BENCH_BUILD)
	gcc -static $(HB_CFLAGS) -o $@ $< -lcapstone

bench: $(BENCH_BUILD)/timeit $(BENCH_BUILD)/workload.o bench-hostbench
	$(MAKE) -C $(BENCH_TOP) lab-modules
	python3 $(BENCH_TOP)/tests/bench/bench.py --reps $(BENCH_REPS) $(BENCH_ARGS)
	@# the figures of the last full run on 6.1 go into the walkthrough (doc/)
	@if [ -z "$(BENCH_ARGS)" ] && [ "$${LAB_KERNEL:-6.1}" = 6.1 ]; then \
		cp $(BENCH_BUILD)/results.md $(BENCH_TOP)/doc/bench-results.md; \
		echo "bench: doc/bench-results.md updated"; \
	else echo "bench: build/bench/results.md (doc/bench-results.md keeps the last full run on 6.1)"; fi
