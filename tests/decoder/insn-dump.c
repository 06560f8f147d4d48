// SPDX-License-Identifier: GPL-2.0
/*
 * insn-dump - print what kedr_sample's decoder makes of a module's code.
 *
 *   insn-dump FILE.ko...      every instruction of every function
 *   insn-dump --hex "48 8b 44 24 08" ...
 *                             one instruction per argument, all fields
 *   insn-dump --slots FILE SIZE
 *                             the instruction at each SIZE-byte slot of FILE
 *
 * The output format is documented in tests/README.md, section "Decoder".
 */
#include "decoder.h"
#include "kofile.h"

static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const class_names[] = {
	"none", "mov", "xchg", "setcc", "cmovcc", "alu", "bitop", "cmp",
	"cmpxchg", "string", "xadd", "shift", "stack", "branch", "simd", "other",
};
static const char *const flow_names[] = {
	"none", "jmp", "jcc", "loop", "call", "call_ind", "jmp_ind", "ret",
	"int3", "ud", "iret", "sysret", "far", "int", "xbegin",
};
static const char *const str_names[] = {
	"none", "movs", "cmps", "stos", "lods", "scas", "ins", "outs",
};
static const char *const rep_names[] = { "none", "rep", "repe", "repne" };
static const char *const seg_names[] = { "none", "es", "cs", "ss", "ds", "fs", "gs" };
static const char *const err_names[] = { "?", "unknown", "truncated", "too_long" };

static const char *acc_name(unsigned int a)
{
	static const char *const n[] = { "-", "R", "W", "RW", "-+L", "R+L", "W+L", "RW+L" };
	return n[a & 7];
}

static void print_mem(const struct kedr_insn *in)
{
	const struct kedr_mem *m = &in->mem;

	printf(" mem=");
	if (m->seg)
		printf("%%%s:", seg_names[m->seg]);
	if (m->disp < 0)
		printf("-0x%llx", (unsigned long long)-(u64)m->disp);
	else
		printf("0x%llx", (unsigned long long)m->disp);
	if (m->rip)
		printf("(%%rip)");
	else if (m->base >= 0 || m->index >= 0) {
		printf("(");
		if (m->base >= 0)
			printf("%%%s", reg_names[m->base]);
		if (m->index >= 0)
			printf(",%%%s,%d", reg_names[m->index], m->scale);
		printf(")");
	}
}

/* one line per instruction: OFFSET LEN ACCESS SIZE CLASS [details] */
static void dump_func(const struct ko_func *f, void *arg)
{
	unsigned long pos = 0;
	struct kedr_insn in;

	(void)arg;
	printf("F %s %s 0x%lx %lu\n", f->section, f->name, f->offset, f->size);
	while (pos < f->size) {
		int n = kedr_decode(f->bytes + pos, f->size - pos, &in);

		if (n < 0) {
			printf("0x%lx %s\n", f->offset + pos, err_names[-n]);
			return;
		}
		printf("0x%lx %d %s %u %s", f->offset + pos, n, acc_name(in.access),
		       in.access_size, class_names[in.class]);
		if (in.has_mem)
			print_mem(&in);
		if (in.sp_based)
			printf(" sp");
		if (in.str_op)
			printf(" str=%s%s%s", str_names[in.str_op], in.str_rep ? "/" : "",
			       in.str_rep ? rep_names[in.str_rep] : "");
		if (in.flow)
			printf(" flow=%s", flow_names[in.flow]);
		if (in.branch_size)
			printf(" target=0x%lx", f->offset + pos + n + (long)in.branch_disp);
		printf("\n");
		pos += n;
	}
}

static int parse_hex(const char *s, u8 *buf, int max)
{
	int n = 0;
	unsigned int v;
	int used;

	while (*s) {
		if (*s == ' ' || *s == ',') {
			s++;
			continue;
		}
		if (n >= max || sscanf(s, "%2x%n", &v, &used) != 1)
			return -1;
		buf[n++] = v;
		s += used;
	}
	return n;
}

/* all fields, key=value, for the unit tests */
static void dump_hex(const char *arg)
{
	u8 buf[64];
	int avail = parse_hex(arg, buf, sizeof(buf));
	struct kedr_insn in;
	int n;
	u8 *copy;

	if (avail < 0) {
		printf("error=badhex\n");
		return;
	}
	/* decode from an exact-size heap copy so that tools like ASan see any overread */
	copy = malloc(avail ? avail : 1);
	memcpy(copy, buf, avail);
	n = kedr_decode(copy, avail, &in);
	free(copy);
	if (n < 0) {
		printf("error=%s\n", err_names[-n]);
		return;
	}
	printf("len=%d map=%u op=0x%02x acc=%s size=%u class=%s", n, in.map, in.opcode,
	       acc_name(in.access), in.access_size, class_names[in.class]);
	printf(" mem=%d", in.has_mem);
	if (in.has_mem)
		printf(" base=%s index=%s scale=%u disp=%lld rip=%d seg=%s addr32=%d",
		       in.mem.base >= 0 ? reg_names[in.mem.base] : "none",
		       in.mem.index >= 0 ? reg_names[in.mem.index] : "none",
		       in.mem.scale, (long long)in.mem.disp, in.mem.rip,
		       seg_names[in.mem.seg], in.mem.addr32);
	printf(" sp=%d opsize=%u str=%s rep=%s src=%s dst=%s flow=%s", in.sp_based, in.opsize,
	       str_names[in.str_op], rep_names[in.str_rep], acc_name(in.str_src),
	       acc_name(in.str_dst), flow_names[in.flow]);
	printf(" boff=%u bsize=%u bdisp=%d modrm_off=%u sib_off=%u disp_off=%u disp_size=%u"
	       " imm_off=%u imm_size=%u imm=%lld rex=0x%02x vex=%u vl=%u prefixes=0x%02x segp=%s\n",
	       in.branch_off, in.branch_size, in.branch_disp, in.modrm_off, in.sib_off,
	       in.disp_off, in.disp_size, in.imm_off, in.imm_size, (long long)in.imm, in.rex,
	       in.vex, in.vector_len, in.prefixes, seg_names[in.seg_prefix]);
}

/* --slots FILE SIZE: decode the instruction at every SIZE-byte slot of a
 * raw file (the row tests, tests/decoder/rows.py); one line per slot:
 * OFFSET LEN ACCESS SIZE CLASS, or OFFSET ERROR */
static int dump_slots(const char *path, long size)
{
	static u8 buf[1 << 24];
	FILE *fp = fopen(path, "rb");
	size_t n, off;
	struct kedr_insn in;

	if (!fp || size <= 0)
		return 2;
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	for (off = 0; off + size <= n; off += size) {
		int r = kedr_decode(buf + off, size, &in);

		if (r < 0)
			printf("%zu %s\n", off, err_names[-r]);
		else
			printf("%zu %d %s %u %s\n", off, r, acc_name(in.access), in.access_size,
			       class_names[in.class]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i, rc = 0;

	if (argc == 4 && !strcmp(argv[1], "--slots"))
		return dump_slots(argv[2], atol(argv[3]));

	if (argc > 1 && !strcmp(argv[1], "--hex")) {
		for (i = 2; i < argc; i++)
			dump_hex(argv[i]);
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: insn-dump FILE.ko... | insn-dump --hex \"HEX BYTES\"...\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		printf("M %s\n", argv[i]);
		if (ko_walk(argv[i], dump_func, NULL) < 0) {
			fprintf(stderr, "insn-dump: %s: not an ELF64 object\n", argv[i]);
			rc = 1;
		}
	}
	return rc;
}
