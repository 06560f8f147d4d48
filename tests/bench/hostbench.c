// SPDX-License-Identifier: GPL-2.0
/*
 * hostbench - what each speed-up of fast=1 buys, on a real CPU: the loops
 * of tests/bench/workload.c instrumented by the user-space engine (the
 * very emitter of kedr_sample.c) and run with its replica of the stubs,
 * plain and instrumented, side by side. `make bench` (tests/bench/bench.py)
 * runs it on the host and, built static, in the lab's guest, in user space
 * under the same emulator as the lab's kernel.
 *
 *   hostbench [-f 0|1] [-r REPS] [-d DIV] WORKLOAD.o
 *
 * It is tests/engine/engine.c (included below, its main() renamed) plus a
 * timing loop. kedr_sample.c has one switch, fast; the steps between the
 * two modes are rebuilt here by changing the instrumented code after the
 * engine wrote and checked it:
 *
 *   - the calls of a site may be pointed at another stub: kedr_event_stub
 *     (fast=0's), hb_pushf_stub (the counting-only shortcut saving the
 *     flags with PUSHFQ/POPFQ, the first form of the shortcut) or
 *     hb_lahf_stub (kedr_fast_stub's shortcut, with fast=0's full path);
 *   - an inline count "addq $1, %gs:counter" may become "incq %gs:counter;
 *     nop" (INC is what the emitter wrote first; ADD replaced it).
 *
 * The workloads "live" and "dead" are the same instructions with the flags
 * live at every access (no inline count possible: every event goes to the
 * stub) or dead (fast=1 counts inline). Output, one line per timed run:
 *
 *   TIME <workload>.<state>[.<variant>] <rep> <ns per event>
 *
 * state: plain, count (the store full: counting only) or store (the store
 * holds every event). After each instrumented run the counters must hold
 * the events the loop makes by construction, or hostbench fails.
 * -d DIV divides the work of every run (for the emulated guest).
 */
#define main engine_main
#include "engine.c"
#undef main
#include <sys/personality.h>

void hb_pushf_stub(void);
void hb_lahf_stub(void);

/*
 * The counting-only shortcut of kedr_fast_stub, between SAVE and RESTORE
 * of the flags: when the store is full, count the types the site names and
 * return; otherwise go to kedr_event_stub, the full path of fast=0.
 */
#define HB_SHORTCUT_STUB(name, save, restore)				\
asm(									\
"	.pushsection .text, \"ax\"\n"					\
"	.globl " #name "\n"						\
"	.type " #name ", @function\n"					\
#name ":\n"								\
	save								\
"	cmpb $0, kedr_store_full(%rip)\n"				\
"	je 3f\n"							\
"	pushq %rcx\n"							\
"	movzbl " __stringify(KEDR_SITE_COUNT_OFF) "(%rdi), %ecx\n"	\
"	testl %ecx, %ecx\n"						\
"	je 2f\n"							\
"	incq event_counts(,%rcx,8)\n"					\
"	movzbl " __stringify(KEDR_SITE_COUNT_OFF) "+1(%rdi), %ecx\n"	\
"	testl %ecx, %ecx\n"						\
"	je 1f\n"							\
"	incq event_counts(,%rcx,8)\n"					\
"1:	popq %rcx\n"							\
	restore								\
"	ret\n"								\
"2:	popq %rcx\n"							\
"3:\n"									\
	restore								\
"	jmp kedr_event_stub\n"						\
"	.size " #name ", .-" #name "\n"					\
"	.popsection\n")

/* the shortcut saving the flags with PUSHFQ/POPFQ */
HB_SHORTCUT_STUB(hb_pushf_stub, "	pushfq\n", "	popfq\n");

/* kedr_fast_stub's shortcut: LAHF/SETO, then ADD (OF) and SAHF */
HB_SHORTCUT_STUB(hb_lahf_stub, "	pushq %rax\n	lahf\n	seto %al\n",
		 "	addb $0x7f, %al\n	sahf\n	popq %rax\n");

enum { HB_BUF, HB_CHASE, HB_LIVE, HB_DEAD, HB_NW };
static const char *const hb_wname[HB_NW] = { "buf", "chase", "live", "dead" };
static const char *const hb_fname[HB_NW] = {
	"wl_buf_pass", "wl_chase", "wl_live_pass", "wl_dead_pass"
};

enum { HB_PLAIN, HB_COUNT, HB_STORE };
static const char *const hb_sname[] = { "plain", "count", "store" };

struct hb_cfg {
	int w, state;
	const char *variant;	/* NULL: as the engine wrote it */
	void (*stub)(void);	/* the stub the calls go to instead */
	bool inc;		/* the inline counts as INC */
};

#define HB_ELEMS	4096
#define HB_NBUF		200		/* passes: 4 events per element */
#define HB_NCHASE	1600000UL	/* steps: 2 events each */
#define HB_STORE_MAX	4194304

static struct kedr_func *hb_func[HB_NW];
static void (*hb_cur_stub[HB_NW])(void);

/* point every call of a stub in @w's instance at @to */
static void hb_set_stub(int w, void (*to)(void))
{
	struct kedr_func *f = hb_func[w];
	u8 *p = (u8 *)f->inst, *end = p + f->code_size;

	for (; p + 14 <= end; p++) {
		unsigned long at = (unsigned long)p;

		if (p[0] == 0x57 && p[1] == 0x48 && p[2] == 0xc7 && p[3] == 0xc7 &&
		    p[8] == 0xe8 && p[13] == 0x5f &&
		    at + 13 + rd32(p + 9) == (unsigned long)hb_cur_stub[w]) {
			s32 rel = (unsigned long)to - (at + 13);

			memcpy(p + 9, &rel, 4);
		}
	}
	hb_cur_stub[w] = to;
}

/* the inline counts of @w's instance as "addq $1" or as "incq; nop";
 * Return: how many were changed */
static unsigned int hb_set_inc(int w, bool inc)
{
	struct kedr_func *f = hb_func[w];
	u8 *p = (u8 *)f->inst, *end = p + f->code_size;
	unsigned int n = 0, t;

	for (; p + 10 <= end; p++) {
		if (p[0] != 0x65 || p[1] != 0x48 || p[3] != 0x04 || p[4] != 0x25)
			continue;
		for (t = 1; t < 8; t++)
			if (rd32(p + 5) == (s32)(unsigned long)&event_counts[t])
				break;
		if (t == 8)
			continue;
		if (!inc && p[2] == 0xff && p[9] == 0x90) {
			p[2] = 0x83;
			p[9] = 1;
			n++;
		} else if (inc && p[2] == 0x83 && p[9] == 1) {
			p[2] = 0xff;	/* INC r/m64: REX.W FF /0 */
			p[9] = 0x90;
			n++;
		}
	}
	return n;
}

static struct kedr_func *function_named(const char *name)
{
	unsigned int i;

	for (i = 0; i < M.nr_funcs; i++)
		if (!strcmp(M.funcs[i].name, name))
			return &M.funcs[i];
	return NULL;
}

struct wl_node {	/* tests/bench/workload.c's list */
	struct wl_node *next;
	u64 val;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static u64 hb_a[HB_ELEMS], hb_b[HB_ELEMS];
static struct wl_node hb_nodes[HB_ELEMS];

/* run @w's code at @code; Return: the events it makes by construction */
static double hb_work(int w, unsigned long code, unsigned long n)
{
	typedef u64 (*buf_fn)(u64 *, u64 *, unsigned int);
	typedef u64 (*chase_fn)(struct wl_node *, unsigned long);
	unsigned long k;

	if (w == HB_CHASE) {
		((chase_fn)code)(hb_nodes, n);
		return 2.0 * n;
	}
	for (k = 0; k < n; k++)
		((buf_fn)code)(hb_a, hb_b, HB_ELEMS);
	return 4.0 * (HB_ELEMS - 1) * n;
}

static void hb_init_data(void)
{
	unsigned int perm[HB_ELEMS], i;
	u32 seed = 20261127;

	for (i = 0; i < HB_ELEMS; i++)
		perm[i] = i;
	for (i = HB_ELEMS - 1; i > 0; i--) {	/* one cycle (Sattolo) */
		unsigned int j, x;

		seed = seed * 1664525 + 1013904223;
		j = seed % i;
		x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	for (i = 0; i < HB_ELEMS; i++) {
		hb_nodes[i].next = &hb_nodes[perm[i]];
		hb_nodes[i].val = i;
		hb_a[i] = i;
	}
}

/* one timed run of @c; Return: ns per event, or -1 if the counts are wrong */
static double hb_run(const struct hb_cfg *c, int div)
{
	struct kedr_func *f = hb_func[c->w];
	unsigned long n = c->w == HB_CHASE ? HB_NCHASE : HB_NBUF;
	double t0, t, events;

	/* plain runs are short: 20 times the work; counting only, 5 times */
	n = n * (c->state == HB_PLAIN ? 20 : c->state == HB_COUNT ? 5 : 1) / div;
	if (c->state != HB_PLAIN) {
		hb_set_stub(c->w, c->stub ? c->stub :
			    (fast ? kedr_fast_stub : kedr_event_stub));
		hb_set_inc(c->w, c->inc);
	}
	h_num_records = c->state == HB_STORE ? HB_STORE_MAX : 1;
	h_claimed = c->state == HB_STORE ? 0 : 1;	/* count: the store is full */
	kedr_store_full = 0;	/* the first event finds out */
	memset(event_counts, 0, sizeof(event_counts));
	hb_work(c->w, c->state == HB_PLAIN ? f->addr : f->inst, 1);	/* warm */
	memset(event_counts, 0, sizeof(event_counts));
	t0 = wall_now();
	events = hb_work(c->w, c->state == HB_PLAIN ? f->addr : f->inst, n);
	t = wall_now() - t0;
	if (c->state != HB_PLAIN && event_counts[1] + event_counts[2] != events) {
		fprintf(stderr, "%s.%s.%s: counted %lu reads and %lu writes, the loop made %.0f events\n",
			hb_wname[c->w], hb_sname[c->state], c->variant ? c->variant : "-",
			event_counts[1], event_counts[2], events);
		return -1;
	}
	if (c->state == HB_STORE && h_claimed >= HB_STORE_MAX) {
		fprintf(stderr, "the store was full\n");
		return -1;
	}
	return t * 1e9 / events;
}

int main(int argc, char **argv)
{
	static const struct hb_cfg fast1[] = {
		/* what each step buys, side by side */
		{ HB_LIVE, HB_COUNT, "evstub", kedr_event_stub, false },
		{ HB_LIVE, HB_COUNT, "pushf", hb_pushf_stub, false },
		{ HB_DEAD, HB_COUNT, "inc", NULL, true },
		{ HB_LIVE, HB_STORE, "lahf", hb_lahf_stub, false },
	};
	struct hb_cfg cfg[64];
	int reps = 5, div = 1, ncfg = 0, r, i, w, st;
	const char *path = NULL;
	void *sites;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") && i + 1 < argc)
			fast = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			div = atoi(argv[++i]);
		else
			path = argv[i];
	}
	if (!path || reps < 1 || div < 1) {
		fprintf(stderr, "usage: %s [-f 0|1] [-r REPS] [-d DIV] WORKLOAD.o\n", argv[0]);
		return 2;
	}
	/* NB: a static build's heap may be put anywhere in the low 2 GiB, over
	 * the arena's place, unless the addresses are not randomised */
	i = personality(0xffffffff);
	if (i != -1 && !(i & ADDR_NO_RANDOMIZE) &&
	    personality(i | ADDR_NO_RANDOMIZE) != -1)
		execv("/proc/self/exe", argv);
	if (!map_arena())
		return 2;
	if (load_module(path)) {
		fprintf(stderr, "%s: cannot load\n", path);
		return 2;
	}
	collect_functions();
	run_engine(true);
	for (w = 0; w < HB_NW; w++) {
		hb_func[w] = function_named(hb_fname[w]);
		if (!hb_func[w] || hb_func[w]->skip || S.emit_errors) {
			fprintf(stderr, "%s: %s is not instrumented\n", path, hb_fname[w]);
			return 2;
		}
		verify_function(hb_func[w]);
		hb_cur_stub[w] = fast ? kedr_fast_stub : kedr_event_stub;
	}
	if (S.mismatches)
		return 1;
	/* the flags are what the workloads say: inline counts in dead (4 per
	 * element), none in live but perhaps at its entry and exit */
	if (fast) {
		unsigned int nd = hb_set_inc(HB_DEAD, true), nl = hb_set_inc(HB_LIVE, true);

		hb_set_inc(HB_DEAD, false);
		hb_set_inc(HB_LIVE, false);
		if (nd < 4 || nl > 2) {
			fprintf(stderr, "the live and dead loops do not have the flags they should (%u, %u inline counts)\n",
				nl, nd);
			return 1;
		}
	}
	/* the code names its sites at SITES_FAKE: put them there */
	sites = mmap((void *)SITES_FAKE, ALIGN(M.nr_sites * sizeof(struct kedr_site) + 1, 4096UL),
		     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (sites != (void *)SITES_FAKE)
		return 2;
	memcpy(sites, M.sites, M.nr_sites * sizeof(struct kedr_site));
	h_records = calloc(HB_STORE_MAX, sizeof(*h_records));
	if (!h_records)
		return 2;
	memset(h_records, 1, HB_STORE_MAX * sizeof(*h_records));	/* faulted in now */
	hb_init_data();
	for (w = 0; w < HB_NW; w++)
		for (st = HB_PLAIN; st <= HB_STORE; st++)
			cfg[ncfg++] = (struct hb_cfg){ w, st, NULL, NULL, false };
	for (i = 0; fast && i < (int)ARRAY_SIZE(fast1); i++)
		cfg[ncfg++] = fast1[i];
	for (r = 0; r < reps; r++) {
		for (i = 0; i < ncfg; i++) {
			double ns = hb_run(&cfg[i], div);

			if (ns < 0)
				return 1;
			printf("TIME %s.%s%s%s %d %.3f\n", hb_wname[cfg[i].w], hb_sname[cfg[i].state],
			       cfg[i].variant ? "." : "", cfg[i].variant ? cfg[i].variant : "", r + 1, ns);
		}
		fflush(stdout);
	}
	return 0;
}
