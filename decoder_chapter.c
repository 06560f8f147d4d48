/* [snippet:decoder] */
/**
 * DOC: Anatomy of an x86-64 instruction
 *
 * kedr_sample copies the target's functions instruction by instruction,
 * so it must know where each instruction ends and what it does to
 * memory. An x86-64 instruction is 1 to 15 bytes (Intel SDM vol. 2,
 * section 2.3.11: longer is #GP) laid out like this (SDM vol. 2,
 * Figure 2-1 "Intel 64 and IA-32 Architectures Instruction Format"):
 *
 *   +----------+-----+---------+--------+-------+-----+--------+-----------+
 *   | legacy   | REX | VEX or  | opcode | ModRM | SIB | disp   | immediate |
 *   | prefixes |     | EVEX    | 1-3 B  |       |     | 0,1,4  | 0,1,2,4,8 |
 *   | 0-14 B   | 0/1 | 0,2,3,4 |        | 0/1   | 0/1 | (8: moffs)         |
 *   +----------+-----+---------+--------+-------+-----+--------+-----------+
 *
 *   legacy prefixes  F0 LOCK; F2 REPNE; F3 REP; 2E 36 3E 26 64 65 segment
 *                    overrides (only FS and GS mean something in 64-bit
 *                    mode); 66 operand size; 67 address size. Any order.
 *   REX              0100WRXB, right before the opcode (or it is ignored):
 *                    W = 64-bit operand, R/X/B = 4th bit of reg/index/base.
 *   VEX / EVEX       C5 + 1 byte, C4 + 2 bytes, 62 + 3 bytes: carry REX's
 *                    bits, the opcode map, a third register, the vector
 *                    length and the "mandatory prefix" (66/F3/F2).
 *   opcode           xx, 0F xx, 0F 38 xx or 0F 3A xx: four opcode maps.
 *   ModRM            mod(2) reg(3) rm(3):
 *
 *      7   6 5     3 2     0     mod 11: rm is a register, no memory
 *     +-----+-------+-------+    mod 00: [rm]     (rm 101: [rip + disp32])
 *     | mod |  reg  |  rm   |    mod 01: [rm + disp8]
 *     +-----+-------+-------+    mod 10: [rm + disp32]
 *                                rm 100 (with mod != 11): a SIB follows
 *   SIB              scale(2) index(3) base(3):
 *
 *      7   6 5     3 2     0     address = base + index * 2^scale + disp
 *     +-----+-------+-------+    index 100 (without REX.X): no index
 *     |scale| index | base  |    base 101 with mod 00: no base, disp32
 *     +-----+-------+-------+
 *   displacement     signed, 1 or 4 bytes (8 only in MOV A0-A3 "moffs")
 *   immediate        1, 2 or 4 bytes, sign-extended; 8 only for
 *                    MOV r64, imm64 (B8+r with REX.W)
 *
 * The opcode alone does not say how long the rest is: the decoder keeps,
 * for every opcode of every map, a 32-bit entry in insn_tables.h (has
 * ModRM? which immediate? what happens to the memory operand, how big,
 * which family, which kind of branch). Some opcodes need one more byte to
 * know what they are: a "group" opcode is refined by ModRM.reg (80 /7 is
 * CMP, the other 80 /r are ADD..XOR), an SSE opcode by its mandatory
 * prefix (0F 10 is MOVUPS, with F3 MOVSS, with F2 MOVSD).
 *
 * The decoder reads the bytes in order, once, and never reads past the
 * length it was given; it knows every instruction found in the 4023
 * modules of Debian's 6.1 kernel (the proof is in tests/, see
 * tests/README.md "Decoder"), and answers "unknown" for the rest.
 */

/* ==== 4. DECODING ONE INSTRUCTION ==== */

#include "insn_tables.h"

#define KEDR_MAX_INSN_LEN	15	/* SDM vol. 2, section 2.3.11 */

/* Errors of kedr_decode(), returned negated */
#define KEDR_DECODE_UNKNOWN	1	/* an opcode the tables do not know, or #UD */
#define KEDR_DECODE_TRUNCATED	2	/* the bytes ran out before the instruction did */
#define KEDR_DECODE_TOO_LONG	3	/* more than 15 bytes (e.g. endless prefixes) */

/* struct kedr_insn::prefixes */
#define KEDR_P_LOCK		0x01
#define KEDR_P_REP		0x02	/* F3 */
#define KEDR_P_REPNE		0x04	/* F2 */
#define KEDR_P_OPSIZE		0x08	/* 66 */
#define KEDR_P_ADSIZE		0x10	/* 67 */

/* Segments (struct kedr_insn::seg_prefix, struct kedr_mem::seg) */
#define KEDR_SEG_NONE		0	/* flat: base 0 in 64-bit mode */
#define KEDR_SEG_ES		1
#define KEDR_SEG_CS		2
#define KEDR_SEG_SS		3
#define KEDR_SEG_DS		4
#define KEDR_SEG_FS		5
#define KEDR_SEG_GS		6	/* per-cpu data and the stack canary %gs:0x28 */

/* struct kedr_insn::vex */
#define KEDR_VEX_NONE		0
#define KEDR_VEX_VEX2		1	/* C5 xx */
#define KEDR_VEX_VEX3		2	/* C4 xx xx */
#define KEDR_VEX_EVEX		3	/* 62 xx xx xx */

/* struct kedr_insn::access and ::str_src / ::str_dst */
#define KEDR_ACC_READ		0x01
#define KEDR_ACC_WRITE		0x02
#define KEDR_ACC_LOCKED		0x04	/* LOCK prefix, or XCHG with memory */

/* struct kedr_insn::str_rep */
#define KEDR_REP_NONE		0
#define KEDR_REP_REP		1	/* F3 on MOVS, STOS, LODS, INS, OUTS */
#define KEDR_REP_REPE		2	/* F3 on CMPS, SCAS */
#define KEDR_REP_REPNE		3	/* F2 (on CMPS, SCAS; elsewhere acts as REP) */

/* struct kedr_insn::flags */
#define KEDR_F_EVEX_DISP8	0x01	/* EVEX disp8*N: N not applied to mem.disp */
#define KEDR_F_BROADCAST	0x02	/* EVEX.b with memory: one element is read */

#define KEDR_REG_NONE		(-1)
#define KEDR_REG_RSP		4	/* register numbers: rax 0, rcx 1, rdx 2, rbx 3, */
#define KEDR_REG_RBP		5	/* rsp 4, rbp 5, rsi 6, rdi 7, r8-r15 8-15 */

/**
 * struct kedr_mem - the explicit memory operand, as the CPU computes it
 * @base:	base register 0-15, or KEDR_REG_NONE
 * @index:	index register 0-15, or KEDR_REG_NONE (for VEX gathers, a
 *		vector register: see Limitations)
 * @scale:	1, 2, 4 or 8
 * @seg:	KEDR_SEG_FS or KEDR_SEG_GS if the address is based on them,
 *		else KEDR_SEG_NONE (ES/CS/SS/DS have base 0 in 64-bit mode)
 * @rip:	the address is %rip + @disp, %rip being the next instruction
 * @addr32:	a 67 prefix: the address is computed in 32 bits
 * @disp:	the displacement, sign-extended (the 64-bit moffs of MOV A0-A3)
 */
struct kedr_mem {
	s8 base;
	s8 index;
	u8 scale;
	u8 seg;
	bool rip;
	bool addr32;
	s64 disp;
};

/**
 * struct kedr_insn - one decoded instruction, all the emitter needs
 * @length:	total length in bytes
 * @map:	opcode map, KEDR_MAP_1BYTE, _0F, _0F38 or _0F3A
 * @opcode:	the last opcode byte
 * @modrm:	the ModRM byte (valid if @modrm_off)
 * @sib:	the SIB byte (valid if @sib_off)
 * @prefixes:	KEDR_P_* legacy prefixes seen
 * @seg_prefix:	last segment override, KEDR_SEG_*, or KEDR_SEG_NONE
 * @rex:	REX bits (0100WRXB); for VEX/EVEX, the equivalent W, R, X, B
 * @vex:	KEDR_VEX_*
 * @vector_len:	VEX/EVEX vector length in bytes (16, 32, 64), else 0
 * @opsize:	operand size of the integer operation: 1, 2, 4 or 8
 * @flags:	KEDR_F_*
 * @modrm_off:	offset of ModRM in the instruction, 0 if none (the opcode
 *		always comes first, so 0 cannot be a real offset)
 * @sib_off:	offset of SIB, 0 if none
 * @disp_off:	offset of the displacement (or moffs), 0 if none
 * @disp_size:	its size: 0, 1, 4 (or 8 for moffs)
 * @imm_off:	offset of the immediate (or branch displacement), 0 if none
 * @imm_size:	its size: 0, 1, 2, 3 (ENTER Iw, Ib), 4 or 8
 * @imm:	its value, sign-extended (ENTER: both, little-endian)
 * @has_mem:	there is an explicit memory operand (ModRM mod != 11, or moffs)
 * @mem:	that operand
 * @access:	KEDR_ACC_* on @mem, or on [rsi]/[rdi] for string operations;
 *		0 if no data is accessed (LEA, NOP Ev, PREFETCH, CLFLUSH)
 * @access_size: bytes accessed (per element for string operations), 0
 *		if unknown (XSAVE family)
 * @class:	KEDR_CLASS_* family; KEDR_CLASS_IS_SEED() tells if kedr_sample
 *		records it
 * @sp_based:	@mem is addressed from %rsp (base register %rsp, not RIP)
 * @str_op:	KEDR_STR_* string operation, or KEDR_STR_NONE
 * @str_rep:	KEDR_REP_*
 * @str_src:	KEDR_ACC_* on the source [rsi] (segment @seg_prefix or DS)
 * @str_dst:	KEDR_ACC_* on the destination ES:[rdi]
 * @flow:	KEDR_FLOW_* control-flow kind
 * @branch_off:	offset of a relative branch displacement, 0 if none
 * @branch_size: its size, 1 or 4 (2 for XBEGIN with 66)
 * @branch_disp: its value: target = address of next instruction + this
 */
struct kedr_insn {
	u8 length;
	u8 map;
	u8 opcode;
	u8 modrm;
	u8 sib;
	u8 prefixes;
	u8 seg_prefix;
	u8 rex;
	u8 vex;
	u8 vector_len;
	u8 opsize;
	u8 flags;
	u8 modrm_off;
	u8 sib_off;
	u8 disp_off;
	u8 disp_size;
	u8 imm_off;
	u8 imm_size;
	s64 imm;
	bool has_mem;
	struct kedr_mem mem;
	u8 access;
	u16 access_size;
	u8 class;
	bool sp_based;
	u8 str_op;
	u8 str_rep;
	u8 str_src;
	u8 str_dst;
	u8 flow;
	u8 branch_off;
	u8 branch_size;
	s32 branch_disp;
};

/**
 * struct kedr_cursor - the bytes being decoded and how far we are
 * @code:	first byte of the instruction
 * @avail:	how many bytes may be read from @code
 * @pos:	offset of the next byte to read
 * @mand:	mandatory prefix index for the tables: 0 none, 1 66, 2 F3, 3 F2
 * @entry:	the opcode's table entry, once known
 */
struct kedr_cursor {
	const u8 *code;
	size_t avail;
	u8 pos;
	u8 mand;
	u32 entry;
};

/**
 * kedr_fetch() - read the next byte, never past the end
 * @c:		cursor
 * @byte:	where to put it
 *
 * Return: 0, or -KEDR_DECODE_TOO_LONG at the 16th byte, or
 * -KEDR_DECODE_TRUNCATED when the caller's bytes run out first.
 */
static int kedr_fetch(struct kedr_cursor *c, u8 *byte)
{
	if (c->pos >= KEDR_MAX_INSN_LEN)
		return -KEDR_DECODE_TOO_LONG;
	if (c->pos >= c->avail)
		return -KEDR_DECODE_TRUNCATED;
	*byte = c->code[c->pos++];
	return 0;
}

/**
 * kedr_fetch_le() - read a little-endian signed field of 1, 2, 4 or 8 bytes
 * @c:		cursor
 * @size:	its size in bytes
 * @val:	where to put the value, sign-extended
 *
 * Return: 0 or the error of kedr_fetch().
 */
static int kedr_fetch_le(struct kedr_cursor *c, unsigned int size, s64 *val)
{
	u64 v = 0;
	unsigned int i;
	u8 b;
	int err;

	for (i = 0; i < size; i++) {
		err = kedr_fetch(c, &b);
		if (err)
			return err;
		v |= (u64)b << (8 * i);
	}
	if (size < 8 && (v >> (8 * size - 1)) & 1)
		v |= ~0ULL << (8 * size);	/* sign-extend */
	*val = (s64)v;
	return 0;
}

/**
 * DOC: Prefixes
 *
 * Legacy prefixes come in any order and any number (up to the 15-byte
 * limit). When two of a kind disagree the last one wins, which is what
 * the CPUs do for the segment and F2/F3 (the SDM calls it unpredictable
 * and no compiler emits it). A REX byte counts only if the opcode follows
 * it at once: a legacy prefix after REX makes the CPU ignore the REX (SDM
 * vol. 2, section 2.2.1). F2/F3 and 66 double as "mandatory prefixes"
 * that select an SSE instruction; F2/F3 take precedence over 66 (0F 10
 * with 66 F2 is MOVSD, not MOVUPD).
 */

/**
 * kedr_note_prefix() - record one legacy prefix byte
 * @insn:	the instruction being decoded
 * @c:		cursor (its mandatory prefix index is updated)
 * @b:		the byte
 *
 * Return: true if @b is a legacy prefix, false if it is something else.
 */
static bool kedr_note_prefix(struct kedr_insn *insn, struct kedr_cursor *c, u8 b)
{
	switch (b) {
	case KEDR_PFX_LOCK:	insn->prefixes |= KEDR_P_LOCK; break;
	case KEDR_PFX_REP:	insn->prefixes |= KEDR_P_REP; c->mand = 2; break;
	case KEDR_PFX_REPNE:	insn->prefixes |= KEDR_P_REPNE; c->mand = 3; break;
	case KEDR_PFX_OPSIZE:	insn->prefixes |= KEDR_P_OPSIZE; break;
	case KEDR_PFX_ADSIZE:	insn->prefixes |= KEDR_P_ADSIZE; break;
	case KEDR_PFX_ES:	insn->seg_prefix = KEDR_SEG_ES; break;
	case KEDR_PFX_CS:	insn->seg_prefix = KEDR_SEG_CS; break;
	case KEDR_PFX_SS:	insn->seg_prefix = KEDR_SEG_SS; break;
	case KEDR_PFX_DS:	insn->seg_prefix = KEDR_SEG_DS; break;
	case KEDR_PFX_FS:	insn->seg_prefix = KEDR_SEG_FS; break;
	case KEDR_PFX_GS:	insn->seg_prefix = KEDR_SEG_GS; break;
	default:
		return false;
	}
	return true;
}

/**
 * kedr_decode_prefixes() - read legacy prefixes and REX up to the opcode
 * @c:		cursor at the first byte
 * @insn:	the instruction being decoded
 * @op:	where to put the first byte that is not a prefix
 *
 * Return: 0 or the error of kedr_fetch().
 */
static int kedr_decode_prefixes(struct kedr_cursor *c, struct kedr_insn *insn, u8 *op)
{
	u8 b;
	int err;

	for (;;) {
		err = kedr_fetch(c, &b);
		if (err)
			return err;
		if (kedr_note_prefix(insn, c, b)) {
			insn->rex = 0;	/* a REX before a legacy prefix is ignored */
			continue;
		}
		if (b >= KEDR_REX_FIRST && b <= KEDR_REX_LAST) {
			insn->rex = b;
			continue;
		}
		break;
	}
	if (c->mand == 0 && (insn->prefixes & KEDR_P_OPSIZE))
		c->mand = 1;
	*op = b;
	return 0;
}

/**
 * DOC: VEX and EVEX
 *
 * AVX instructions replace REX, the 0F/0F38/0F3A escape and the
 * mandatory prefix with one VEX prefix (SDM vol. 2, section 2.3.5) and
 * AVX-512 with one EVEX prefix (section 2.7.1). Their register bits are
 * stored inverted (~R: a 1 bit means R = 0), a leftover from the opcodes (LES,
 * LDS, BOUND) they were carved from. The layouts, bit 7 first:
 *
 *   C5  ~R ~vvvv L pp                      map 0F, W=0
 *   C4  ~R ~X ~B mmmmm | W ~vvvv L pp          mmmmm: 1 = 0F, 2 = 0F38, 3 = 0F3A
 *   62  ~R ~X ~B ~R' 0 mmm | W ~vvvv 1 pp | z L'L b ~V' aaa
 *
 * pp is the mandatory prefix (0 none, 1 66, 2 F3, 3 F2), L (or L'L) the
 * vector length: 16, 32 or 64 bytes. A LOCK, 66, F2, F3 or REX in front
 * of VEX/EVEX is #UD (SDM vol. 2, section 2.3.2), so "unknown" here.
 * After the prefix come the opcode, always a ModRM (except VZEROUPPER and
 * VZEROALL, VEX 0F 77) and an immediate in map 0F3A and for the few 0F
 * opcodes that also have one without VEX.
 */

/**
 * kedr_decode_vex() - read the bytes of a VEX or EVEX prefix
 * @c:		cursor just after the C4, C5 or 62 byte
 * @insn:	the instruction being decoded
 * @first:	that byte
 *
 * Return: 0, -KEDR_DECODE_UNKNOWN for a map or prefix combination the
 * decoder does not know, or the error of kedr_fetch().
 */
static int kedr_decode_vex(struct kedr_cursor *c, struct kedr_insn *insn, u8 first)
{
	u8 p0, p1 = 0, p2 = 0, map;
	int err;

	if ((insn->prefixes & (KEDR_P_LOCK | KEDR_P_REP | KEDR_P_REPNE |
			       KEDR_P_OPSIZE)) || insn->rex)
		return -KEDR_DECODE_UNKNOWN;
	err = kedr_fetch(c, &p0);
	if (!err && first != KEDR_VEX2)
		err = kedr_fetch(c, &p1);
	if (!err && first == KEDR_EVEX)
		err = kedr_fetch(c, &p2);
	if (err)
		return err;
	/* ~R is bit 7 of the first payload byte in all three forms */
	insn->rex = KEDR_REX_FIRST | ((p0 & KEDR_VEX_NOT_R) ? 0 : KEDR_REX_R);
	if (first == KEDR_VEX2) {
		insn->vex = KEDR_VEX_VEX2;
		map = KEDR_MAP_0F;
		p1 = p0;	/* W=0, ~vvvv L pp sit where the 3-byte form has them */
	} else {
		insn->vex = first == KEDR_VEX3 ? KEDR_VEX_VEX3 : KEDR_VEX_EVEX;
		map = p0 & (first == KEDR_VEX3 ? KEDR_VEX3_MAP_MASK : KEDR_EVEX_MAP_MASK);
		insn->rex |= ((p0 & KEDR_VEX_NOT_X) ? 0 : KEDR_REX_X) |
			     ((p0 & KEDR_VEX_NOT_B) ? 0 : KEDR_REX_B) |
			     ((p1 & KEDR_VEX_W) ? KEDR_REX_W : 0);
	}
	if (map < KEDR_MAP_0F || map > KEDR_MAP_0F3A)
		return -KEDR_DECODE_UNKNOWN;	/* maps 5/6 (AVX512-FP16), XOP-like */
	insn->map = map;
	c->mand = p1 & KEDR_VEX_PP_MASK;	/* pp: 0 none, 1 66, 2 F3, 3 F2 */
	if (first == KEDR_EVEX) {
		if (!(p1 & KEDR_EVEX_P1_ONE))
			return -KEDR_DECODE_UNKNOWN;	/* fixed 1 bit */
		insn->vector_len = 16 << ((p2 >> KEDR_EVEX_LL_SHIFT) & 0x03);	/* L'L */
		if (insn->vector_len > 64)
			insn->vector_len = 64;	/* L'L=3: rounding control, 512 bits */
		if (p2 & KEDR_EVEX_BCST)
			insn->flags |= KEDR_F_BROADCAST;	/* b: only matters with memory */
	} else {
		insn->vector_len = (p1 & KEDR_VEX_L) ? 32 : 16;
	}
	return 0;
}

/**
 * kedr_vex_entry() - the table entry of a VEX/EVEX opcode
 * @c:		cursor (its mandatory prefix is VEX.pp)
 * @map:	KEDR_MAP_0F, _0F38 or _0F3A
 * @op:	the opcode byte
 *
 * VEX reuses the legacy rows: the exceptions list first, else the legacy
 * entry (refined by VEX.pp if it has mandatory-prefix variants), else
 * "reads a vector". Then the VEX rules for ModRM and immediate replace
 * the legacy ones (SDM vol. 2, section 2.3.5 and Table A-1): map 0F3A
 * always has Ib, map 0F38 never, map 0F only where the legacy row has an
 * Ib (PSHUFD, the shift groups, CMPPS, PINSRW, PEXTRW, SHUFPS).
 *
 * Return: the entry.
 */
static u32 kedr_vex_entry(const struct kedr_cursor *c, u8 map, u8 op)
{
	static const u32 *const maps[] = {
		[KEDR_MAP_0F] = kedr_map_0f, [KEDR_MAP_0F38] = kedr_map_0f38,
		[KEDR_MAP_0F3A] = kedr_map_0f3a,
	};
	u32 e = maps[map][op];
	unsigned int i, imm, kind;

	for (i = 0; i < ARRAY_SIZE(kedr_vex_exceptions); i++)
		if (kedr_vex_exceptions[i].map == map && kedr_vex_exceptions[i].opcode == op)
			e = kedr_vex_exceptions[i].entry;
	if (KEDR_E_KIND(e) == KEDR_K_PREFIX)
		e = kedr_pfx_tables[KEDR_E_SUB(e)][c->mand];
	kind = KEDR_E_KIND(e);
	if (kind != KEDR_K_PLAIN && kind != KEDR_K_GROUP)
		e = KEDR_ENTRY(1, 0, KEDR_A_R, SZ_X, KEDR_CLASS_SIMD, 0);
	imm = KEDR_E_IMM(e);
	e &= ~(0x7u << KEDR_E_IMM_SHIFT);
	if (map == KEDR_MAP_0F3A || (map == KEDR_MAP_0F && imm == KEDR_IMM_B))
		e |= (u32)KEDR_IMM_B << KEDR_E_IMM_SHIFT;
	/* NB: only VZEROUPPER/VZEROALL (0F 77, like EMMS) have no ModRM */
	if (map != KEDR_MAP_0F || kind != KEDR_K_PLAIN)
		e |= KEDR_E_MODRM;
	return e;
}

/**
 * kedr_decode_opcode() - read the opcode bytes and find their table entry
 * @c:		cursor after the prefixes, @op already read
 * @insn:	the instruction being decoded
 * @op:	the first byte after the legacy prefixes and REX
 *
 * Return: 0 (the entry is in @c->entry), or a negative KEDR_DECODE_* error.
 */
static int kedr_decode_opcode(struct kedr_cursor *c, struct kedr_insn *insn, u8 op)
{
	int err;

	if (op == KEDR_VEX2 || op == KEDR_VEX3 || op == KEDR_EVEX) {
		err = kedr_decode_vex(c, insn, op);
		if (!err)
			err = kedr_fetch(c, &insn->opcode);
		if (err)
			return err;
		c->entry = kedr_vex_entry(c, insn->map, insn->opcode);
		return 0;
	}
	insn->map = KEDR_MAP_1BYTE;
	if (op == KEDR_ESC_0F) {
		err = kedr_fetch(c, &op);
		if (err)
			return err;
		insn->map = KEDR_MAP_0F;
		if (op == KEDR_ESC_0F38 || op == KEDR_ESC_0F3A) {
			insn->map = op == KEDR_ESC_0F38 ? KEDR_MAP_0F38 : KEDR_MAP_0F3A;
			err = kedr_fetch(c, &op);
			if (err)
				return err;
		}
	}
	insn->opcode = op;
	switch (insn->map) {
	case KEDR_MAP_1BYTE:	c->entry = kedr_map_1byte[op]; break;
	case KEDR_MAP_0F:	c->entry = kedr_map_0f[op]; break;
	case KEDR_MAP_0F38:	c->entry = kedr_map_0f38[op]; break;
	default:		c->entry = kedr_map_0f3a[op]; break;
	}
	return 0;
}

/**
 * DOC: ModRM, SIB and displacement
 *
 * With mod != 11 the ModRM byte names memory; the address is
 * base + index * scale + displacement (SDM vol. 2, Tables 2-2 and 2-3
 * with the 64-bit changes of Table 2-5). Three encodings are special:
 *
 *   - rm = 100 does not mean %rsp: a SIB byte follows. So any %rsp- (or
 *     %r12-) based operand has a SIB, with index 100 meaning "none".
 *   - mod = 00, rm = 101 does not mean [%rbp]: it is [%rip + disp32]
 *     ("RIP-relative", SDM vol. 2, section 2.2.1.6); [%rbp] is written
 *     [%rbp + 0] with a disp8. REX.B does not change this (also %r13).
 *   - in a SIB, base = 101 with mod = 00 means "no base, disp32".
 *
 * A 67 prefix makes the CPU add in 32 bits (and use %eip); the encoding
 * stays the same, so it changes nothing here but @mem.addr32.
 */

/**
 * kedr_decode_sib() - read a SIB byte and fill base, index and scale
 * @c:		cursor at the SIB byte
 * @insn:	the instruction being decoded (ModRM already read)
 * @mod:	ModRM.mod
 *
 * Return: the displacement size that mod = 00 implies (4 for "no base"),
 * or a negative error of kedr_fetch().
 */
static int kedr_decode_sib(struct kedr_cursor *c, struct kedr_insn *insn, u8 mod)
{
	u8 sib, base, index;
	int err;

	insn->sib_off = c->pos;
	err = kedr_fetch(c, &sib);
	if (err)
		return err;
	insn->sib = sib;
	/* 7-6 scale, 5-3 index, 2-0 base */
	base = sib & 0x07;
	index = ((sib >> 3) & 0x07) | ((insn->rex & KEDR_REX_X) ? 8 : 0);
	insn->mem.scale = 1 << (sib >> 6);
	insn->mem.index = index == KEDR_REG_RSP ? KEDR_REG_NONE : index;
	if (base == KEDR_REG_RBP && mod == 0) {
		insn->mem.base = KEDR_REG_NONE;
		return 4;
	}
	insn->mem.base = base | ((insn->rex & KEDR_REX_B) ? 8 : 0);
	return 0;
}

/**
 * kedr_decode_modrm() - read ModRM, SIB and displacement
 * @c:		cursor at the ModRM byte
 * @insn:	the instruction being decoded
 *
 * Return: 0 or a negative error of kedr_fetch().
 */
static int kedr_decode_modrm(struct kedr_cursor *c, struct kedr_insn *insn)
{
	u8 modrm, mod, rm, disp_size = 0;
	int err;

	insn->modrm_off = c->pos;
	err = kedr_fetch(c, &modrm);
	if (err)
		return err;
	insn->modrm = modrm;
	mod = modrm >> 6;
	rm = modrm & 0x07;
	if (mod == 3 || KEDR_E_KIND(c->entry) == KEDR_K_MODREG)
		return 0;			/* a register: no memory operand */
	insn->has_mem = true;
	insn->mem.scale = 1;
	insn->mem.index = KEDR_REG_NONE;
	if (rm == KEDR_REG_RSP) {		/* 100: a SIB follows */
		err = kedr_decode_sib(c, insn, mod);
		if (err < 0)
			return err;
		disp_size = err;
	} else if (rm == KEDR_REG_RBP && mod == 0) {	/* 00 101: RIP-relative */
		insn->mem.base = KEDR_REG_NONE;
		insn->mem.rip = true;
		disp_size = 4;
	} else {
		insn->mem.base = rm | ((insn->rex & KEDR_REX_B) ? 8 : 0);
	}
	if (mod == 1)
		disp_size = 1;
	else if (mod == 2)
		disp_size = 4;
	if (!disp_size)
		return 0;
	if (insn->vex == KEDR_VEX_EVEX && disp_size == 1)
		insn->flags |= KEDR_F_EVEX_DISP8;
	insn->disp_off = c->pos;
	insn->disp_size = disp_size;
	return kedr_fetch_le(c, disp_size, &insn->mem.disp);
}

/**
 * DOC: Groups, mandatory prefixes, immediates
 *
 * Once ModRM is known, a group opcode becomes its real instruction
 * (kedr_groups[][ModRM.reg]) and an SSE opcode too
 * (kedr_pfx_tables[][mandatory prefix]). Only then is the immediate's
 * size known: F6 /0 (TEST Eb, Ib) has one, F6 /2 (NOT Eb) has none.
 *
 * Immediate sizes depend on the operand size (SDM vol. 2, Appendix A.2.2):
 * "Iz" is 2 bytes with 66 and 4 otherwise, even with REX.W (it is then
 * sign-extended to 64 bits); only MOV r64, imm64 ("Iv") has 8. Near
 * branches with 66 are where Intel and AMD CPUs disagree: refused.
 *
 * The entry also says which mandatory prefixes an SSE row has, and
 * whether it exists only with a memory (or only a register) operand:
 * anything else is #UD, so "unknown".
 */

/**
 * kedr_resolve_entry() - refine a group or mandatory-prefix entry
 * @c:		cursor (holds the entry and the mandatory prefix)
 * @insn:	the instruction being decoded (ModRM already read)
 *
 * Return: 0, or -KEDR_DECODE_UNKNOWN for an opcode that does not exist.
 */
static int kedr_resolve_entry(struct kedr_cursor *c, struct kedr_insn *insn)
{
	u32 e = c->entry;
	u8 reg = (insn->modrm >> 3) & 0x07;

	if (KEDR_E_KIND(e) == KEDR_K_GROUP)
		e = kedr_groups[KEDR_E_SUB(e)][reg];
	else if (KEDR_E_KIND(e) == KEDR_K_PREFIX)
		e = kedr_pfx_tables[KEDR_E_SUB(e)][c->mand];
	/* AMD XOP (8F with ModRM.reg != 0) lands on an invalid group entry */
	if (KEDR_E_KIND(e) == KEDR_K_INVALID || KEDR_E_KIND(e) == KEDR_K_PFXBYTE)
		return -KEDR_DECODE_UNKNOWN;
	c->entry = e;
	return 0;
}

/**
 * kedr_check_valid() - refuse a prefix or ModRM form the row does not have
 * @c:		cursor (holds the final entry and the mandatory prefix)
 * @insn:	the instruction being decoded (ModRM already read)
 *
 * Return: 0, or -KEDR_DECODE_UNKNOWN.
 */
static int kedr_check_valid(const struct kedr_cursor *c, const struct kedr_insn *insn)
{
	u32 e = c->entry;
	unsigned int valid = KEDR_E_VALID(e);

	if (insn->vex)
		return 0;	/* VEX/EVEX validity is not checked: see Limitations */
	if (valid && !(valid & (1u << c->mand)))
		return -KEDR_DECODE_UNKNOWN;	/* SSE row without this prefix */
	if ((e & KEDR_E_MEM_ONLY) && !insn->has_mem)
		return -KEDR_DECODE_UNKNOWN;
	if ((e & KEDR_E_REG_ONLY) && insn->has_mem)
		return -KEDR_DECODE_UNKNOWN;
	return 0;
}

/**
 * kedr_imm_size() - how many immediate bytes an entry implies
 * @insn:	the instruction being decoded (prefixes known)
 * @e:		its table entry
 *
 * Return: 0 to 8.
 */
static unsigned int kedr_imm_size(const struct kedr_insn *insn, u32 e)
{
	switch (KEDR_E_IMM(e)) {
	case KEDR_IMM_B:
		return 1;
	case KEDR_IMM_W:
		return 2;
	case KEDR_IMM_Z:
		return insn->opsize == 2 ? 2 : 4;
	case KEDR_IMM_V:
		return insn->opsize;
	case KEDR_IMM_WB:
		return 3;
	case KEDR_IMM_O:
		return (insn->prefixes & KEDR_P_ADSIZE) ? 4 : 8;
	case KEDR_IMM_BB:
		return 2;
	default:
		return 0;
	}
}

/**
 * kedr_is_cpu_dependent() - is this a 66-prefixed near branch?
 * @c:		cursor (holds the entry)
 * @insn:	the instruction being decoded
 *
 * Intel CPUs ignore 66 on JMP/Jcc/CALL rel32 in 64-bit mode and still
 * read 4 bytes ("f64", SDM vol. 2, Appendix A.2.5); AMD CPUs read a rel16
 * (AMD APM vol. 3, "Near branches ... operand size override": so does
 * GNU objdump). No compiler emits it; an instruction whose length depends
 * on the vendor is refused.
 *
 * Return: true to refuse the instruction.
 */
static bool kedr_is_cpu_dependent(const struct kedr_cursor *c, const struct kedr_insn *insn)
{
	unsigned int flow = KEDR_E_FLOW(c->entry);

	return (insn->prefixes & KEDR_P_OPSIZE) && KEDR_E_IMM(c->entry) == KEDR_IMM_Z &&
	       KEDR_E_KIND(c->entry) == KEDR_K_PLAIN &&
	       (flow == KEDR_FLOW_JMP || flow == KEDR_FLOW_JCC || flow == KEDR_FLOW_CALL);
}

/**
 * kedr_decode_imm() - read the immediate, or the moffs of MOV A0-A3
 * @c:		cursor after ModRM/SIB/displacement
 * @insn:	the instruction being decoded
 *
 * A moffs is an address, not an immediate: it is reported as the
 * displacement of a memory operand without base or index.
 *
 * Return: 0 or a negative error of kedr_fetch().
 */
static int kedr_decode_imm(struct kedr_cursor *c, struct kedr_insn *insn)
{
	unsigned int size = kedr_imm_size(insn, c->entry);

	if (!size)
		return 0;
	if (KEDR_E_IMM(c->entry) == KEDR_IMM_O) {
		insn->has_mem = true;
		insn->mem.base = KEDR_REG_NONE;
		insn->mem.index = KEDR_REG_NONE;
		insn->mem.scale = 1;
		insn->disp_off = c->pos;
		insn->disp_size = size;
		return kedr_fetch_le(c, size, &insn->mem.disp);
	}
	insn->imm_off = c->pos;
	insn->imm_size = size;
	return kedr_fetch_le(c, size, &insn->imm);
}

/**
 * DOC: What the instruction does to memory
 *
 * The entry says read (R), write (W) or both (RW), and a size code. Some
 * answers are choices the SDM settles, worth knowing when reading a trace:
 *
 *   - CMOVcc reads its source even if the condition is false ("the source
 *     operand is read ... regardless of the condition", SDM vol. 2,
 *     CMOVcc, a memory source may fault even when no move happens): R.
 *   - CMPXCHG writes its destination even when the comparison fails ("the
 *     destination operand is written back if the comparison fails", SDM
 *     vol. 2, CMPXCHG), so it is RW, with LOCK a locked RW. CMPXCHG8B/16B
 *     likewise, 8 or 16 bytes (REX.W).
 *   - XCHG with memory is locked without LOCK (SDM vol. 2, XCHG).
 *   - BT/BTS/BTR/BTC with a register bit offset may touch memory outside
 *     the operand ModRM names: the offset is signed and can select any
 *     bit up to 2^63 away (SDM vol. 2, BT, "bit base addressing"). The
 *     decoder reports the ModRM operand and its size; an emitter that
 *     needs the real byte must add (offset >> 3) itself.
 *   - SETcc writes 1 byte; MOVZX/MOVSX read 1 or 2, MOVSXD 4; MOVBE
 *     is a MOV (reads or writes operand-size bytes).
 *   - LEA, the NOP Ev hint space (0F 18-1F) and PREFETCH compute an
 *     address but access no data: access 0. CLFLUSH too (a cache
 *     operation, not a data access).
 *   - The stack accesses of PUSH/POP/CALL/RET are implicit and not
 *     reported; PUSH Ev, POP Ev, CALL/JMP Ev with memory are (8 bytes).
 */

/**
 * kedr_rule_size() - the access size a size-code rule gives
 * @insn:	the instruction being decoded
 * @rule:	a KEDR_SZ_RULE_* value, or a plain byte count
 *
 * Return: the size in bytes.
 */
static unsigned int kedr_rule_size(const struct kedr_insn *insn, u8 rule)
{
	unsigned int vl = insn->vector_len ? insn->vector_len : 16;
	bool w = insn->rex & KEDR_REX_W;
	bool o16 = insn->prefixes & KEDR_P_OPSIZE;

	switch (rule) {
	case KEDR_SZ_RULE_V:	return insn->opsize;
	case KEDR_SZ_RULE_Y:	return w ? 8 : 4;
	case KEDR_SZ_RULE_D64:	return o16 ? 2 : 8;
	case KEDR_SZ_RULE_Z:	return o16 ? 2 : 4;
	case KEDR_SZ_RULE_MP:	return 2 + insn->opsize;
	case KEDR_SZ_RULE_DQ:	return w ? 16 : 8;
	case KEDR_SZ_RULE_VL:	return vl;
	case KEDR_SZ_RULE_VH:	return vl / 2;
	case KEDR_SZ_RULE_VQ:	return vl / 4;
	case KEDR_SZ_RULE_VE:	return vl / 8;
	default:		return rule;
	}
}

/**
 * kedr_decode_access() - fill access kind, size and family from the entry
 * @c:		cursor (holds the entry)
 * @insn:	the instruction being decoded
 *
 * Return: 0, or -KEDR_DECODE_UNKNOWN for a LOCK the CPU would refuse or
 * an x87 memory form that does not exist.
 */
static int kedr_decode_access(struct kedr_cursor *c, struct kedr_insn *insn)
{
	u32 e = c->entry;
	unsigned int acc = KEDR_E_ACC(e), size_code = KEDR_E_SIZE(e);
	unsigned int size;
	u8 x87;

	insn->class = KEDR_E_CLASS(e);
	if (KEDR_E_KIND(e) == KEDR_K_X87 && insn->has_mem) {
		x87 = kedr_x87_mem[KEDR_E_SUB(e)][(insn->modrm >> 3) & 0x07];
		if (!x87)
			return -KEDR_DECODE_UNKNOWN;
		acc = x87 & 0x03;
		size = x87 >> 2;
		if (size == KEDR_X87_FSAVE_CODE)
			size = KEDR_X87_FSAVE_SIZE;
		insn->class = KEDR_CLASS_OTHER;
	} else if (size_code == SZ_512) {
		size = KEDR_FXSAVE_SIZE;
	} else {
		size = kedr_rule_size(insn, kedr_size_codes[size_code][c->mand]);
	}
	if (insn->has_mem && acc != KEDR_A_NONE) {
		insn->access = acc;	/* KEDR_A_R/W are KEDR_ACC_READ/WRITE */
		insn->access_size = size;
		if ((insn->flags & KEDR_F_BROADCAST) && insn->class == KEDR_CLASS_SIMD)
			insn->access_size = (insn->rex & KEDR_REX_W) ? 8 : 4;
		if (e & KEDR_E_LOCKED)
			insn->access |= KEDR_ACC_LOCKED;
	}
	if (!(insn->prefixes & KEDR_P_LOCK))
		return 0;
	/* LOCK: only read-modify-write of memory by the lockable families
	 * (SDM vol. 2, LOCK: otherwise #UD) */
	if (insn->access != KEDR_A_RW && insn->access != (KEDR_A_RW | KEDR_ACC_LOCKED))
		return -KEDR_DECODE_UNKNOWN;
	switch (insn->class) {
	case KEDR_CLASS_ALU: case KEDR_CLASS_BITOP: case KEDR_CLASS_CMPXCHG:
	case KEDR_CLASS_XADD: case KEDR_CLASS_XCHG:
		insn->access |= KEDR_ACC_LOCKED;
		return 0;
	default:
		return -KEDR_DECODE_UNKNOWN;
	}
}

/**
 * kedr_decode_string() - the implicit operands of a string operation
 * @c:		cursor (holds the entry, a KEDR_K_STRING one)
 * @insn:	the instruction being decoded
 *
 * Element size: byte forms 1; the others the operand size, but INS and
 * OUTS move at most 4 bytes (size code Z). F3 is REP, or REPE for the
 * comparing CMPS/SCAS; F2 is REPNE (SDM vol. 2, REP/REPE/REPZ/REPNE/REPNZ).
 */
static void kedr_decode_string(struct kedr_cursor *c, struct kedr_insn *insn)
{
	u8 op = KEDR_E_FLOW(c->entry);	/* kind STRING keeps the operation there */
	bool compares = op == KEDR_STR_CMPS || op == KEDR_STR_SCAS;

	insn->str_op = op;
	insn->class = KEDR_CLASS_STRING;
	insn->str_src = kedr_str_access[op][0];
	insn->str_dst = kedr_str_access[op][1];
	insn->access = insn->str_src | insn->str_dst;
	insn->access_size = kedr_rule_size(insn, kedr_size_codes[KEDR_E_SIZE(c->entry)][0]);
	if (c->mand == 3)	/* F2 last */
		insn->str_rep = KEDR_REP_REPNE;
	else if (c->mand == 2)
		insn->str_rep = compares ? KEDR_REP_REPE : KEDR_REP_REP;
}

/**
 * kedr_decode_flow() - control-flow kind and relative branch target
 * @c:		cursor (holds the entry)
 * @insn:	the instruction being decoded, immediate already read
 */
static void kedr_decode_flow(struct kedr_cursor *c, struct kedr_insn *insn)
{
	insn->flow = KEDR_E_FLOW(c->entry);
	switch (insn->flow) {
	case KEDR_FLOW_JMP: case KEDR_FLOW_JCC: case KEDR_FLOW_LOOP:
	case KEDR_FLOW_CALL: case KEDR_FLOW_XBEGIN:
		insn->branch_off = insn->imm_off;
		insn->branch_size = insn->imm_size;
		insn->branch_disp = (s32)insn->imm;
		break;
	default:
		break;
	}
}

/**
 * kedr_decode() - decode one x86-64 instruction
 * @code:	its first byte
 * @avail:	how many bytes may be read from @code (never more are read)
 * @insn:	filled with what the instruction is
 *
 * The steps follow the bytes: prefixes, VEX/EVEX, opcode, ModRM with SIB
 * and displacement, immediate; then what the table entry says about
 * memory, string operations and control flow.
 *
 * Return: the length (1-15), -KEDR_DECODE_UNKNOWN, -KEDR_DECODE_TRUNCATED
 * or -KEDR_DECODE_TOO_LONG.
 */
static int kedr_decode(const u8 *code, size_t avail, struct kedr_insn *insn)
{
	struct kedr_cursor c = { .code = code, .avail = avail };
	u8 op;
	int err;

	memset(insn, 0, sizeof(*insn));
	err = kedr_decode_prefixes(&c, insn, &op);
	if (!err)
		err = kedr_decode_opcode(&c, insn, op);
	if (err)
		return err;
	if (KEDR_E_KIND(c.entry) == KEDR_K_INVALID || KEDR_E_KIND(c.entry) == KEDR_K_PFXBYTE)
		return -KEDR_DECODE_UNKNOWN;
	/* Operand size: SDM vol. 1, Table 3-4; byte forms say so in their size code */
	insn->opsize = (insn->rex & KEDR_REX_W) ? 8 :
		       (insn->prefixes & KEDR_P_OPSIZE) ? 2 : 4;
	if (c.entry & KEDR_E_MODRM) {
		err = kedr_decode_modrm(&c, insn);
		if (!err)
			err = kedr_resolve_entry(&c, insn);
		if (err)
			return err;
	}
	err = kedr_check_valid(&c, insn);
	if (err)
		return err;
	if (KEDR_E_SIZE(c.entry) == SZ_B && KEDR_E_KIND(c.entry) == KEDR_K_PLAIN)
		insn->opsize = 1;
	if (kedr_is_cpu_dependent(&c, insn))
		return -KEDR_DECODE_UNKNOWN;
	err = kedr_decode_imm(&c, insn);
	if (err)
		return err;
	insn->length = c.pos;
	if (KEDR_E_KIND(c.entry) == KEDR_K_STRING) {
		kedr_decode_string(&c, insn);
		return insn->length;
	}
	err = kedr_decode_access(&c, insn);
	if (err)
		return err;
	if (insn->has_mem) {
		insn->mem.addr32 = insn->prefixes & KEDR_P_ADSIZE;
		if (insn->seg_prefix == KEDR_SEG_FS || insn->seg_prefix == KEDR_SEG_GS)
			insn->mem.seg = insn->seg_prefix;
		insn->sp_based = insn->mem.base == KEDR_REG_RSP;
	}
	kedr_decode_flow(&c, insn);
	return insn->length;
}

/**
 * DOC: What the decoder does not do
 *
 * Honest limits, each also listed in "Limitations and exercises":
 *
 *   - VEX/EVEX opcodes are not validated: every opcode of maps 0F, 0F38
 *     and 0F3A gets the VEX length rules and, unless the legacy row or
 *     the exception list says otherwise, "reads a vector". The lengths
 *     are exact (VEX fixes them); the access of rare AVX forms may not
 *     be. VSIB gathers/scatters report the vector index register's number
 *     in @mem.index.
 *   - EVEX disp8 is compressed (disp8*N, SDM vol. 2, section 2.7.5); N
 *     depends on the instruction's tuple type, which the tables do not
 *     hold: @mem.disp keeps the raw disp8 and KEDR_F_EVEX_DISP8 is set.
 *   - Some sub-encodings are decoded with the right length without being
 *     validated: the ModRM.reg variants of groups 7, 9, 12-15 (e.g.
 *     0F 71 /0 does not exist), x87 register forms, 3DNow! suffixes, MPX
 *     bound registers above 3, VIA PadLock ModRM values.
 *   - Extensions newer than the corpus are "unknown": Key Locker, CET
 *     WRSS/WRUSS, RAO-INT, HRESET, AVX512-FP16 (EVEX maps 5 and 6), AMD
 *     XOP (8F with ModRM.reg != 0).
 *   - 66 on JMP/Jcc/CALL rel32 is "unknown": Intel and AMD CPUs disagree
 *     on its length.
 *   - XSAVE/XRSTOR and friends access a size that depends on CPU state:
 *     access_size is 0. The implicit accesses of PadLock (0F A6/A7),
 *     XLAT, MASKMOVQ and of PUSH/POP/CALL/RET are not reported.
 */
/* [/snippet:decoder] */
