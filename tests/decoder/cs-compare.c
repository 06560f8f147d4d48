// SPDX-License-Identifier: GPL-2.0
/*
 * cs-compare - check kedr_sample's decoder against Capstone's operand
 * information on the seed's instruction classes.
 *
 *   cs-compare [-s] [--sample N --seed S] [--tap] DIR|FILE.ko...
 *
 * Every function of every module is decoded with our decoder; each
 * instruction is also decoded by Capstone (detail on). The instructions
 * that Capstone names as one of the seed's families (its own instruction
 * id, not our class) and that access memory are compared on:
 *   - length;
 *   - access kind: the union of the CS_AC_* of Capstone's memory operands
 *     vs our KEDR_ACC_READ/WRITE; locked: LOCK prefix or XCHG;
 *   - access size: Capstone's memory operand size vs our access_size;
 *   - the memory operand: base, index, scale, displacement, segment, RIP;
 *   - and our class must be a seed class.
 * Disagreements are grouped by (mnemonic, what we say, what Capstone says)
 * and printed with one example each. Exit status 1 if any group is not in
 * the documented list (tests/decoder/cs-known.txt).
 */
#define _GNU_SOURCE
#include "decoder.h"
#include "kofile.h"
#include <capstone/capstone.h>
#include <fnmatch.h>
#include <ftw.h>

static csh cs;
static cs_insn *csi;
static unsigned long n_insn, n_cmp, n_agree, n_cs_fail, n_funcs, n_mods;
static unsigned long n_other, n_other_agree;	/* outside the seed: information only */
static unsigned long other_by_name[2048][2];	/* [capstone id][compared, agreed] */
static const char *cur_mod;

struct dis {
	char key[160];
	char example[256];
	unsigned long count;
	const char *why;	/* the documented reason, or NULL */
};

/* tests/decoder/cs-known.txt: "fnmatch pattern|reason" per line */
static char known_pat[64][600], known_why[64][600];
static int nknown;

static void load_known(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[600], *bar;

	if (!fp)
		return;
	while (nknown < 64 && fgets(line, sizeof(line), fp)) {
		if (line[0] == '#' || !(bar = strchr(line, '|')))
			continue;
		*bar = 0;
		line[strcspn(line, "\n")] = 0;
		bar[1 + strcspn(bar + 1, "\n")] = 0;
		snprintf(known_pat[nknown], sizeof(known_pat[0]), "%s", line);
		snprintf(known_why[nknown], sizeof(known_why[0]), "%s", bar + 1);
		nknown++;
	}
	fclose(fp);
}
static struct dis dis[4096];
static int ndis;

static void disagree(const char *key, const struct ko_func *f, unsigned long pos, const u8 *b, int len)
{
	int i, n;

	for (i = 0; i < ndis; i++)
		if (!strcmp(dis[i].key, key))
			break;
	if (i == ndis) {
		if (ndis == (int)ARRAY_SIZE(dis))
			return;
		ndis++;
		snprintf(dis[i].key, sizeof(dis[i].key), "%s", key);
		n = snprintf(dis[i].example, sizeof(dis[i].example), "%s:%s+0x%lx ",
			     strrchr(cur_mod, '/') ? strrchr(cur_mod, '/') + 1 : cur_mod,
			     f->name, pos);
		for (int j = 0; j < len && n < (int)sizeof(dis[i].example) - 4; j++)
			n += snprintf(dis[i].example + n, sizeof(dis[i].example) - n, "%02x", b[j]);
	}
	dis[i].count++;
}

static const char *const seed_names[] = {
	"mov", "movabs", "movsx", "movsxd", "movzx", "movbe", "xchg",
	"add", "or", "adc", "sbb", "and", "sub", "xor", "test", "inc", "dec",
	"not", "neg", "mul", "imul", "div", "idiv",
	"bt", "bts", "btr", "btc", "bsf", "bsr", "tzcnt", "lzcnt", "popcnt",
	"cmp", "cmpxchg", "cmpxchg8b", "cmpxchg16b", NULL,
};

/* Is Capstone's instruction one of the seed's families? By its name and
 * opcode only, never by our decoder's opinion. */
static int cs_is_seed(const cs_insn *ci, bool *string)
{
	const char *name = ci->mnemonic;
	const cs_x86 *x = &ci->detail->x86;
	u8 op = x->opcode[0];
	int i;

	*string = false;
	/* one-byte string opcodes (SSE MOVSD/CMPSD share names with MOVSD/CMPSD) */
	if (x->opcode[1] == 0 && ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
				  (op >= 0x6c && op <= 0x6f))) {
		*string = true;
		return 1;
	}
	name = cs_insn_name(cs, ci->id);
	if (!name)
		return 0;
	if (!strncmp(name, "set", 3) || !strncmp(name, "cmov", 4))
		return 1;
	for (i = 0; seed_names[i]; i++)
		if (!strcmp(name, seed_names[i]))
			return 1;
	return 0;
}

/* Capstone register -> 0..15 (any width), 16 for rip/eip, -1 none/other */
static int cs_regnum(unsigned int reg)
{
	static const char *const n64[] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi" };
	static const char *const n32[] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
	const char *name;
	int i;

	if (reg == X86_REG_INVALID)
		return -1;
	name = cs_reg_name(cs, reg);
	if (!strcmp(name, "rip") || !strcmp(name, "eip"))
		return 16;
	for (i = 0; i < 8; i++)
		if (!strcmp(name, n64[i]) || !strcmp(name, n32[i]))
			return i;
	if (name[0] == 'r' && name[1] >= '0' && name[1] <= '9')
		return atoi(name + 1);
	return -2;
}

static const char *acc_str(unsigned int a)
{
	static const char *const n[] = { "-", "R", "W", "RW", "-L", "RL", "WL", "RWL" };
	return n[a & 7];
}

/* Outside the seed: count how often kind and size agree (no verdict). */
static void compare_other(const struct kedr_insn *in, const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	unsigned int cs_acc = 0, cs_size = 0;
	int i, nmem = 0;

	if (ci->id == X86_INS_LEA || ci->id == X86_INS_NOP)
		return;
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM) {
			cs_acc |= x->operands[i].access;
			cs_size = x->operands[i].size;
			nmem++;
		}
	if (nmem != 1 || ci->id >= 2048)
		return;
	n_other++;
	other_by_name[ci->id][0]++;
	if ((in->access & 3) == (cs_acc & 3) && in->access_size == cs_size) {
		n_other_agree++;
		other_by_name[ci->id][1]++;
	}
}

static void compare_one(const struct ko_func *f, unsigned long pos, const struct kedr_insn *in,
			const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	const u8 *b = f->bytes + pos;
	unsigned int cs_acc = 0, cs_size = 0, our_acc;
	const cs_x86_op *mem = NULL;
	bool string, cs_locked;
	char key[160];
	int i, nmem = 0;

	if (!cs_is_seed(ci, &string)) {
		compare_other(in, ci);
		return;
	}
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM) {
			cs_acc |= x->operands[i].access;
			cs_size = x->operands[i].size;
			mem = &x->operands[i];
			nmem++;
		}
	if (!nmem)
		return;
	n_cmp++;
	cs_locked = x->prefix[0] == X86_PREFIX_LOCK || ci->id == X86_INS_XCHG;
	cs_acc = (cs_acc & 3) | (cs_locked ? 4 : 0);
	our_acc = in->access & 7;
	if (in->length != ci->size) {
		snprintf(key, sizeof(key), "%s: length ours %u capstone %u", ci->mnemonic, in->length, ci->size);
		disagree(key, f, pos, b, in->length);
		return;
	}
	if (!KEDR_CLASS_IS_SEED(in->class)) {
		snprintf(key, sizeof(key), "%s: our class %u is not a seed class", cs_insn_name(cs, ci->id), in->class);
		disagree(key, f, pos, b, in->length);
		return;
	}
	if (our_acc != cs_acc || in->access_size != cs_size) {
		snprintf(key, sizeof(key), "%s%s: ours %s/%u capstone %s/%u", cs_insn_name(cs, ci->id),
			 string ? " (string)" : "", acc_str(our_acc), in->access_size, acc_str(cs_acc), cs_size);
		disagree(key, f, pos, b, in->length);
		return;
	}
	if (!string && nmem == 1) {
		int base = cs_regnum(mem->mem.base), index = cs_regnum(mem->mem.index);
		int our_base = in->mem.rip ? 16 : in->mem.base;
		int seg = mem->mem.segment == X86_REG_GS ? KEDR_SEG_GS :
			  mem->mem.segment == X86_REG_FS ? KEDR_SEG_FS : KEDR_SEG_NONE;

		if (base != our_base || index != in->mem.index ||
		    (index >= 0 && mem->mem.scale != in->mem.scale) || mem->mem.disp != in->mem.disp ||
		    seg != in->mem.seg) {
			snprintf(key, sizeof(key), "%s: memory operand differs", cs_insn_name(cs, ci->id));
			disagree(key, f, pos, b, in->length);
			return;
		}
	}
	n_agree++;
}

static void check_func(const struct ko_func *f, void *arg)
{
	unsigned long pos = 0;
	struct kedr_insn in;

	(void)arg;
	n_funcs++;
	while (pos < f->size) {
		int n = kedr_decode(f->bytes + pos, f->size - pos, &in);
		const u8 *p = f->bytes + pos;
		size_t left = f->size - pos;
		uint64_t addr = f->offset + pos;

		if (n < 0) {
			disagree("our decoder: unknown/truncated", f, pos, f->bytes + pos, 4);
			return;
		}
		n_insn++;
		if (cs_disasm_iter(cs, &p, &left, &addr, csi))
			compare_one(f, pos, &in, csi);
		else
			n_cs_fail++;
		pos += n;
	}
}

/* --slots FILE N: the first instruction of each N-byte slot (row tests) */
static void check_slots(const char *path, long size)
{
	static u8 buf[1 << 24];
	FILE *fp = fopen(path, "rb");
	size_t n, off;

	if (!fp || size <= 0)
		return;
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	cur_mod = path;
	for (off = 0; off + size <= n; off += size) {
		struct ko_func f = { .name = "slot", .section = "raw", .offset = off, .size = size,
				     .bytes = buf + off };
		struct kedr_insn in;
		const uint8_t *p = buf + off;
		size_t left = size;
		uint64_t addr = off;

		if (kedr_decode(buf + off, size, &in) < 0)
			continue;
		n_insn++;
		if (cs_disasm_iter(cs, &p, &left, &addr, csi))
			compare_one(&f, 0, &in, csi);
		else
			n_cs_fail++;
	}
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t l = strlen(path);

	(void)st; (void)ftw;
	if (type == FTW_F && l > 3 && !strcmp(path + l - 3, ".ko")) {
		cur_mod = path;
		n_mods++;
		ko_walk(path, check_func, NULL);
	}
	return 0;
}

static int cmp_dis(const void *a, const void *b)
{
	const struct dis *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long documented = 0, unexplained = 0;
	int i, k, tap = 0;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 2;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	csi = cs_malloc(cs);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s"))
			continue;
		if (!strcmp(argv[i], "--tap")) {
			tap = 1;
			continue;
		}
		if (!strcmp(argv[i], "--slots") && i + 2 < argc) {
			check_slots(argv[i + 1], atol(argv[i + 2]));
			i += 2;
			continue;
		}
		if (!strcmp(argv[i], "-k") && i + 1 < argc) {
			load_known(argv[++i]);
			continue;
		}
		nftw(argv[i], visit, 16, FTW_PHYS);
	}
	qsort(dis, ndis, sizeof(dis[0]), cmp_dis);
	for (i = 0; i < ndis; i++) {
		for (k = 0; k < nknown; k++)
			if (!fnmatch(known_pat[k], dis[i].key, 0))
				dis[i].why = known_why[k];
		if (dis[i].why)
			documented += dis[i].count;
		else
			unexplained += dis[i].count;
	}
	if (tap)
		printf("1..1\n%s 1 - access kind/size of %lu seed-class memory accesses: %lu agree with "
		       "Capstone, %lu documented Capstone errors, %lu unexplained\n",
		       unexplained ? "not ok" : "ok", n_cmp, n_agree, documented, unexplained);
	printf("# accesses vs Capstone %s: %lu modules, %lu functions, %lu instructions decoded\n",
	       cs_version(NULL, NULL) == CS_MAKE_VERSION(4, 0) ? "4.0" : "?", n_mods, n_funcs, n_insn);
	printf("# seed-class instructions with a memory operand (by Capstone): %lu\n", n_cmp);
	printf("# agree on length, class, access kind, size, memory operand: %lu (%.4f%%)\n",
	       n_agree, n_cmp ? 100.0 * n_agree / n_cmp : 0.0);
	printf("# Capstone could not decode: %lu instructions\n", n_cs_fail);
	printf("# outside the seed (information only): %lu memory accesses, kind and size agree on %lu"
	       " (%.2f%%); most frequent mnemonics that differ:\n", n_other, n_other_agree,
	       n_other ? 100.0 * n_other_agree / n_other : 0.0);
	for (k = 0; k < 12; k++) {
		unsigned long worst = 0;
		int wi = -1;

		for (i = 0; i < 2048; i++)
			if (other_by_name[i][0] - other_by_name[i][1] > worst) {
				worst = other_by_name[i][0] - other_by_name[i][1];
				wi = i;
			}
		if (wi < 0)
			break;
		printf("#   %-12s %lu of %lu differ\n", cs_insn_name(cs, wi), worst, other_by_name[wi][0]);
		other_by_name[wi][0] = other_by_name[wi][1];
	}
	printf("# disagreements: %lu documented (Capstone is wrong, see the SDM reference), "
	       "%lu unexplained, in %d classes\n", documented, unexplained, ndis);
	for (i = 0; i < ndis; i++)
		printf("# %8lu  %s  e.g. %s\n#            %s\n", dis[i].count, dis[i].key,
		       dis[i].example, dis[i].why ? dis[i].why : "UNEXPLAINED");
	cs_free(csi, 1);
	cs_close(&cs);
	return unexplained ? 1 : 0;
}
