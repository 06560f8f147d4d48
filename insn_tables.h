/* SPDX-License-Identifier: GPL-2.0 */
/*
 * insn_tables.h - the x86-64 opcode maps that kedr_sample.c decodes with.
 *
 * This file is part of the lesson: it is Intel's opcode map (Intel SDM
 * vol. 2, Appendix A "Opcode Map", Tables) retold as C arrays,
 * one row of 16 opcodes per line, with only the facts the decoder and
 * the emitter need:
 *
 *   - does a ModRM byte follow the opcode (and so maybe SIB and disp)?
 *   - how many immediate bytes follow, and do they depend on the
 *     operand size?
 *   - if the ModRM names memory: is it read, written or both, and how
 *     many bytes (by the operand size, or a fixed width)?
 *   - which family the instruction belongs to (kedr_sample records only
 *     the "seed" families: MOV, XCHG, SETcc, CMOVcc, integer ALU, bit
 *     operations, CMP/CMPXCHG, string operations);
 *   - is it a branch, call or return?
 *
 * An opcode whose meaning depends on the ModRM.reg field (a "group",
 * SDM vol. 2, Table A-6) or on a mandatory prefix (66/F3/F2 selecting
 * another SSE instruction, SDM vol. 2, section 2.1.2 and Table A-3 rows
 * with "(66)" / "(F3)" / "(F2)") points to a small table of 8 or 4 full
 * entries that replace it.
 *
 * The tables describe 64-bit mode only: the opcodes that are invalid there
 * (PUSH ES, AAA, BOUND, LES/LDS (now VEX), JMP far ptr16:32, ...) are "__".
 */
#ifndef KEDR_INSN_TABLES_H
#define KEDR_INSN_TABLES_H

/* ---- Bytes that have a name ------------------------------------------ */

/* Legacy prefixes, SDM vol. 2, section 2.1.1 "Instruction Prefixes". */
#define KEDR_PFX_LOCK		0xF0
#define KEDR_PFX_REPNE		0xF2	/* REPNE; mandatory prefix of "sd" forms */
#define KEDR_PFX_REP		0xF3	/* REP/REPE/REPZ; mandatory prefix of "ss" forms */
#define KEDR_PFX_OPSIZE		0x66	/* operand size 16; mandatory prefix of "pd" */
#define KEDR_PFX_ADSIZE		0x67	/* address size 64 -> 32 */
#define KEDR_PFX_ES		0x26	/* ES, CS, SS, DS: ignored in 64-bit mode */
#define KEDR_PFX_CS		0x2E
#define KEDR_PFX_SS		0x36
#define KEDR_PFX_DS		0x3E
#define KEDR_PFX_FS		0x64	/* FS and GS keep a base: %gs is per-cpu data */
#define KEDR_PFX_GS		0x65

/* REX is 0100WRXB: 0x40-0x4F, SDM vol. 2, section 2.2.1 */
#define KEDR_REX_FIRST		0x40
#define KEDR_REX_LAST		0x4F
#define KEDR_REX_W		0x08	/* 64-bit operand size */
#define KEDR_REX_R		0x04	/* extends ModRM.reg */
#define KEDR_REX_X		0x02	/* extends SIB.index */
#define KEDR_REX_B		0x01	/* extends ModRM.rm, SIB.base, opcode reg */

/* Escapes to the other opcode maps, SDM vol. 2, section 2.1.2 */
#define KEDR_ESC_0F		0x0F	/* two-byte map:   0F xx */
#define KEDR_ESC_0F38		0x38	/* three-byte map: 0F 38 xx */
#define KEDR_ESC_0F3A		0x3A	/* three-byte map: 0F 3A xx */

/* VEX and EVEX, SDM vol. 2, sections 2.3 and 2.7 (both valid only as
 * such in 64-bit mode, where C4/C5 (LES/LDS) and 62 (BOUND) are gone). */
#define KEDR_VEX3		0xC4	/* C4 RXBmmmmm WvvvvLpp */
#define KEDR_VEX2		0xC5	/* C5 RvvvvLpp (map 0F, W0, X=B=1) */
#define KEDR_EVEX		0x62	/* 62 RXBR'0mmm Wvvvv1pp zL'LbV'aaa */
#define KEDR_XOP		0x8F	/* AMD XOP when ModRM.reg != 0; else POP Ev */

/* Bits of the VEX/EVEX payload bytes (P0, P1, P2):
 * SDM vol. 2, Figure 2-9 (VEX), section 2.7.1 (EVEX) */
#define KEDR_VEX_NOT_R		0x80	/* P0: ~R (also the 2-byte form's only byte) */
#define KEDR_VEX_NOT_X		0x40	/* P0: ~X */
#define KEDR_VEX_NOT_B		0x20	/* P0: ~B */
#define KEDR_VEX3_MAP_MASK	0x1f	/* P0 of C4: mmmmm */
#define KEDR_EVEX_MAP_MASK	0x0f	/* P0 of 62: 0mmm (bit 3 must be 0) */
#define KEDR_VEX_W		0x80	/* P1: W */
#define KEDR_VEX_L		0x04	/* P1 of VEX: L (256-bit) */
#define KEDR_VEX_PP_MASK	0x03	/* P1: pp, the implied 66/F3/F2 */
#define KEDR_EVEX_P1_ONE	0x04	/* P1 of EVEX: always 1 */
#define KEDR_EVEX_LL_SHIFT	5	/* P2: L'L in bits 6:5 */
#define KEDR_EVEX_BCST		0x10	/* P2: b, broadcast (with memory) */

/* The one opcode byte the code tests directly: VZEROUPPER/VZEROALL
 * (VEX 0F 77) is the only VEX instruction without a ModRM byte; the
 * legacy table already says so for EMMS (0F 77). */

/* ---- One entry: a 32-bit word ---------------------------------------- */

/*
 *  31 29 28 26 25 24 23  20 19  16 15  12 11     7 6  5  4 3   1 0
 * +-----+-----+--+--+------+------+------+--------+--+----+-----+--+
 * |spare|kind |RO|MO|valid | flow | class| size   |LK| acc| imm |M |
 * +-----+-----+--+--+------+------+------+--------+--+----+-----+--+
 *
 *  M     a ModRM byte follows the opcode
 *  imm   immediate kind, KEDR_IMM_*
 *  acc   what the instruction does to its ModRM memory operand: R, W, RW
 *  LK    the memory access is locked even without LOCK (XCHG, SDM vol. 2,
 *        XCHG: "the processor's locking protocol is automatically
 *        implemented")
 *  size  access size code, index of kedr_size_codes[]; for the kinds
 *        GROUP, PREFIX and X87: which small table ("sub")
 *  class family, KEDR_CLASS_*
 *  flow  control-flow kind, KEDR_FLOW_*; for kind STRING: which string
 *        operation, KEDR_STR_*
 *  valid which mandatory prefixes the SSE row defines (bit 0 none, 1 66,
 *        2 F3, 3 F2); 0: any (SDM vol. 2, Table A-3: a missing "(66)",
 *        "(F3)", "(F2)" variant is #UD)
 *  MO    memory operand only: the register form (mod = 11) is #UD or
 *        another instruction the tables do not know
 *  RO    register only: the memory form is #UD
 *  kind  ordinary, INVALID, GROUP (by ModRM.reg), PREFIX (by 66/F3/F2),
 *        STRING, PFXBYTE (handled before the opcode), X87, MODREG
 */
#define KEDR_E_MODRM		0x00000001u
#define KEDR_E_IMM_SHIFT	1
#define KEDR_E_ACC_SHIFT	4
#define KEDR_E_LOCKED		0x00000040u
#define KEDR_E_SIZE_SHIFT	7
#define KEDR_E_CLASS_SHIFT	12
#define KEDR_E_FLOW_SHIFT	16
#define KEDR_E_SUB_SHIFT	7	/* shares the bits of size */
#define KEDR_E_VALID_SHIFT	20
#define KEDR_E_MEM_ONLY		0x01000000u
#define KEDR_E_REG_ONLY		0x02000000u
#define KEDR_E_KIND_SHIFT	26

#define KEDR_E_IMM(e)		(((e) >> KEDR_E_IMM_SHIFT) & 0x7)
#define KEDR_E_ACC(e)		(((e) >> KEDR_E_ACC_SHIFT) & 0x3)
#define KEDR_E_SIZE(e)		(((e) >> KEDR_E_SIZE_SHIFT) & 0x1f)
#define KEDR_E_CLASS(e)		(((e) >> KEDR_E_CLASS_SHIFT) & 0xf)
#define KEDR_E_FLOW(e)		(((e) >> KEDR_E_FLOW_SHIFT) & 0xf)
#define KEDR_E_SUB(e)		(((e) >> KEDR_E_SUB_SHIFT) & 0x1f)
#define KEDR_E_VALID(e)		(((e) >> KEDR_E_VALID_SHIFT) & 0xf)
#define KEDR_E_KIND(e)		(((e) >> KEDR_E_KIND_SHIFT) & 0x7)

/* Immediate kinds (SDM vol. 2, Appendix A.2.2 operand codes Ib, Iw, Iz, Iv) */
enum kedr_imm_kind {
	KEDR_IMM_NONE = 0,
	KEDR_IMM_B,	/* Ib, Jb: 1 byte */
	KEDR_IMM_W,	/* Iw: 2 bytes (RET imm16) */
	KEDR_IMM_Z,	/* Iz, Jz: 2 bytes with 66, else 4 (never 8) */
	KEDR_IMM_V,	/* Iv: MOV r64, imm64 (B8+r with REX.W): 2/4/8 */
	KEDR_IMM_WB,	/* ENTER Iw, Ib: 3 bytes */
	KEDR_IMM_O,	/* moffs of MOV A0-A3: 8 bytes, 4 with 67 */
	KEDR_IMM_BB,	/* EXTRQ/INSERTQ (AMD SSE4a): Ib, Ib */
};

/* Access to the explicit memory operand (reported as KEDR_ACC_* flags) */
#define KEDR_A_NONE	0	/* LEA, NOP Ev, PREFETCH, CLFLUSH: no data access */
#define KEDR_A_R	1
#define KEDR_A_W	2
#define KEDR_A_RW	3

/* Entry kinds */
#define KEDR_K_PLAIN	0
#define KEDR_K_INVALID	1	/* #UD or reserved in 64-bit mode: "unknown" */
#define KEDR_K_GROUP	2	/* look up kedr_groups[sub][ModRM.reg] */
#define KEDR_K_PREFIX	3	/* look up kedr_pfx_tables[sub][none/66/F3/F2] */
#define KEDR_K_STRING	4	/* sub is KEDR_STR_*; element size from size */
#define KEDR_K_PFXBYTE	5	/* a prefix or escape: never reached as opcode */
#define KEDR_K_X87	6	/* D8-DF: sub is opcode - D8, see kedr_x87_mem[] */
#define KEDR_K_MODREG	7	/* MOV CR/DR: ModRM always names registers, "the mod bits
				 * are ignored" (SDM vol. 2, MOV-Move to/from Control Registers) */

/* ---- Access sizes ---------------------------------------------------- */

/*
 * A size code names either a fixed width or a rule. The rules (values
 * with bit 7 set) are resolved by the decoder from the prefixes:
 *
 *   V    operand size: 8 with REX.W, else 2 with 66, else 4
 *        (SDM vol. 1, Table 3-4 "Effective Operand- and Address-Size
 *        Attributes in 64-Bit Mode")
 *   Y    4, or 8 with REX.W (66 ignored)
 *   D64  near branches and PUSH/POP: 8, or 2 with 66 (SDM vol. 2, A.2.5
 *        "d64": 32-bit operand size cannot be encoded)
 *   Z    2 with 66, else 4 (INS/OUTS, which REX.W does not widen)
 *   MP   far pointer m16:16/32/64: 2 + operand size
 *   DQ   CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W)
 *   VL   a whole vector register: 16 for SSE, 16/32/64 by VEX.L/EVEX.L'L
 *   VH   half of it, VQ a quarter, VE an eighth (PMOVSX/ZX, CVTPS2PD)
 *
 * A code whose sizes depend on the SSE mandatory prefix gives four
 * values, in the order: none, 66, F3, F2 (e.g. ADDPS/ADDPD/ADDSS/ADDSD
 * read 16, 16, 4, 8 bytes).
 */
#define KEDR_SZ_RULE_V		0x81
#define KEDR_SZ_RULE_Y		0x82
#define KEDR_SZ_RULE_D64	0x83
#define KEDR_SZ_RULE_Z		0x84
#define KEDR_SZ_RULE_MP		0x85
#define KEDR_SZ_RULE_DQ		0x86
#define KEDR_SZ_RULE_VL		0x87
#define KEDR_SZ_RULE_VH		0x88
#define KEDR_SZ_RULE_VQ		0x89
#define KEDR_SZ_RULE_VE		0x8a

enum kedr_size_code {
	KEDR_SZ_0 = 0,	/* no access, or a size the decoder does not know (XSAVE) */
	KEDR_SZ_B,		/* byte forms (Eb, Mb) */
	KEDR_SZ_W,		/* Ew, Mw */
	KEDR_SZ_D,		/* Md */
	KEDR_SZ_Q,		/* Mq */
	KEDR_SZ_T,		/* m80: x87 extended real, SGDT/SIDT descriptor */
	KEDR_SZ_O,		/* m128 */
	KEDR_SZ_V,		/* Ev: operand size */
	KEDR_SZ_Y,		/* Ey */
	KEDR_SZ_D64,		/* push/pop/call/jmp Ev */
	KEDR_SZ_Z,		/* INS/OUTS elements */
	KEDR_SZ_MP,		/* Mp far pointer */
	KEDR_SZ_DQ,		/* CMPXCHG8B/16B */
	KEDR_SZ_X,		/* Vx,Wx: full vector */
	KEDR_SZ_PS,		/* ps/pd/ss/sd: VL, VL, 4, 8 */
	KEDR_SZ_MX,		/* MMX or SSE: 8, VL, VL, VL */
	KEDR_SZ_HS,		/* CVTPS2PD/CVTPD2PS/CVTSS2SD/CVTSD2SS: VH, VL, 4, 8 */
	KEDR_SZ_UC,		/* (U)COMISS/SD: 4, 8 */
	KEDR_SZ_CVI,		/* CVTPI2PS/PD, CVTSI2SS/SD: 8, 8, Y, Y */
	KEDR_SZ_MQ,		/* MMX m64 or xmm: 8, VH/16 (MOVQ, MOVDDUP) */
	KEDR_SZ_VH,		/* half vector */
	KEDR_SZ_VQ,		/* quarter vector */
	KEDR_SZ_VE,		/* eighth of a vector */
	KEDR_SZ_512,		/* FXSAVE/FXRSTOR area */
	KEDR_SZ_ENV,		/* x87 FNSTENV/FLDENV, 64-bit form: 28 bytes */
	KEDR_SZ_FSAVE,	/* x87 FNSAVE/FRSTOR: 108 bytes */
	KEDR_SZ_COUNT
};

/* [code][none, 66, F3, F2] (SDM vol. 2, Appendix A.2.2 operand types) */
static const u8 kedr_size_codes[KEDR_SZ_COUNT][4] = {
	[KEDR_SZ_0]	= { 0, 0, 0, 0 },
	[KEDR_SZ_B]	= { 1, 1, 1, 1 },
	[KEDR_SZ_W]	= { 2, 2, 2, 2 },
	[KEDR_SZ_D]	= { 4, 4, 4, 4 },
	[KEDR_SZ_Q]	= { 8, 8, 8, 8 },
	[KEDR_SZ_T]	= { 10, 10, 10, 10 },
	[KEDR_SZ_O]	= { 16, 16, 16, 16 },
#define R(x) KEDR_SZ_RULE_##x
	[KEDR_SZ_V]	= { R(V), R(V), R(V), R(V) },
	[KEDR_SZ_Y]	= { R(Y), R(Y), R(Y), R(Y) },
	[KEDR_SZ_D64] = { R(D64), R(D64), R(D64), R(D64) },
	[KEDR_SZ_Z]	= { R(Z), R(Z), R(Z), R(Z) },
	[KEDR_SZ_MP]	= { R(MP), R(MP), R(MP), R(MP) },
	[KEDR_SZ_DQ]	= { R(DQ), R(DQ), R(DQ), R(DQ) },
	[KEDR_SZ_X]	= { R(VL), R(VL), R(VL), R(VL) },
	[KEDR_SZ_PS]	= { R(VL), R(VL), 4, 8 },
	[KEDR_SZ_MX]	= { 8, R(VL), R(VL), R(VL) },
	[KEDR_SZ_HS]	= { R(VH), R(VL), 4, 8 },
	[KEDR_SZ_UC]	= { 4, 8, 4, 8 },
	[KEDR_SZ_CVI] = { 8, 8, R(Y), R(Y) },
	[KEDR_SZ_MQ]	= { 8, R(VH), R(VH), R(VH) },
	[KEDR_SZ_VH]	= { R(VH), R(VH), R(VH), R(VH) },
	[KEDR_SZ_VQ]	= { R(VQ), R(VQ), R(VQ), R(VQ) },
	[KEDR_SZ_VE]	= { R(VE), R(VE), R(VE), R(VE) },
#undef R
	[KEDR_SZ_512] = { 0, 0, 0, 0 },	/* filled below by the rule-free path */
	[KEDR_SZ_ENV] = { 28, 28, 28, 28 },
	[KEDR_SZ_FSAVE] = { 108, 108, 108, 108 },
};

/* FXSAVE/FXRSTOR touch 512 bytes: more than a u8 can hold, so the
 * decoder reports this one width by name (SDM vol. 2, FXSAVE). */
#define KEDR_FXSAVE_SIZE	512

/* ---- Families ("classes") -------------------------------------------- */

/* The seed's families come first; kedr_sample records only those. */
enum kedr_class {
	KEDR_CLASS_NONE = 0,	/* no memory operand, or nothing to say */
	KEDR_CLASS_MOV,		/* MOV, MOVSX/MOVSXD, MOVZX, MOVBE, MOV Sreg */
	KEDR_CLASS_XCHG,
	KEDR_CLASS_SETCC,
	KEDR_CLASS_CMOVCC,
	KEDR_CLASS_ALU,		/* ADD..XOR, TEST, INC, DEC, NOT, NEG, MUL..IDIV, IMUL */
	KEDR_CLASS_BITOP,	/* BT, BTS, BTR, BTC, BSF, BSR, TZCNT, LZCNT, POPCNT */
	KEDR_CLASS_CMP,
	KEDR_CLASS_CMPXCHG,	/* CMPXCHG, CMPXCHG8B, CMPXCHG16B */
	KEDR_CLASS_STRING,	/* MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS */
	/* outside the seed */
	KEDR_CLASS_XADD,
	KEDR_CLASS_SHIFT,	/* ROL..SAR, SHLD, SHRD */
	KEDR_CLASS_STACK,	/* PUSH Ev, POP Ev */
	KEDR_CLASS_BRANCH,	/* CALL/JMP Ev, far forms */
	KEDR_CLASS_SIMD,	/* MMX, SSE, AVX, AVX-512 */
	KEDR_CLASS_OTHER,	/* x87, system instructions, ... */
};
#define KEDR_CLASS_IS_SEED(c)	((c) >= KEDR_CLASS_MOV && (c) <= KEDR_CLASS_STRING)

/* ---- Control flow ---------------------------------------------------- */

enum kedr_flow {
	KEDR_FLOW_NONE = 0,
	KEDR_FLOW_JMP,		/* JMP rel8 (EB) / rel32 (E9) */
	KEDR_FLOW_JCC,		/* Jcc rel8 (70-7F) / rel32 (0F 80-8F) */
	KEDR_FLOW_LOOP,		/* LOOPNE, LOOPE, LOOP, JRCXZ: rel8 only (E0-E3) */
	KEDR_FLOW_CALL,		/* CALL rel32 (E8) */
	KEDR_FLOW_CALL_IND,	/* CALL Ev (FF /2): register or memory */
	KEDR_FLOW_JMP_IND,	/* JMP Ev (FF /4) */
	KEDR_FLOW_RET,		/* RET (C3), RET imm16 (C2) */
	KEDR_FLOW_INT3,		/* CC */
	KEDR_FLOW_UD,		/* UD0 (0F FF), UD1 (0F B9), UD2 (0F 0B) */
	KEDR_FLOW_IRET,		/* IRET/IRETQ (CF) */
	KEDR_FLOW_SYSRET,	/* SYSRET (0F 07), SYSEXIT (0F 35) */
	KEDR_FLOW_FAR,		/* CALL/JMP far (FF /3, /5), RETF (CA, CB) */
	KEDR_FLOW_INT,		/* INT n, INT1, SYSCALL, SYSENTER, HLT... */
	KEDR_FLOW_XBEGIN,	/* XBEGIN rel32 (C7 F8): aborts jump there */
};

/* ---- String operations ----------------------------------------------- */

enum kedr_str_op {
	KEDR_STR_NONE = 0,
	KEDR_STR_MOVS,		/* A4/A5: [rsi] -> [rdi] */
	KEDR_STR_CMPS,		/* A6/A7: compare [rsi], [rdi] */
	KEDR_STR_STOS,		/* AA/AB: rax -> [rdi] */
	KEDR_STR_LODS,		/* AC/AD: [rsi] -> rax */
	KEDR_STR_SCAS,		/* AE/AF: compare rax, [rdi] */
	KEDR_STR_INS,		/* 6C/6D: port dx -> [rdi] */
	KEDR_STR_OUTS,		/* 6E/6F: [rsi] -> port dx */
};

/* ---- Entry builders -------------------------------------------------- */

#define KEDR_ENTRY(m, imm, acc, size, cls, flow) \
	((u32)(m) | ((u32)(imm) << KEDR_E_IMM_SHIFT) | \
	 ((u32)(acc) << KEDR_E_ACC_SHIFT) | ((u32)(size) << KEDR_E_SIZE_SHIFT) | \
	 ((u32)(cls) << KEDR_E_CLASS_SHIFT) | ((u32)(flow) << KEDR_E_FLOW_SHIFT))
#define KEDR_KIND(k, sub) \
	(((u32)(k) << KEDR_E_KIND_SHIFT) | ((u32)(sub) << KEDR_E_SUB_SHIFT))

/*
 * The short names used in the tables below. Read "M" as "has ModRM",
 * then the access (R/W/RW/N for none) and the size code, then the family:
 *   MRW(V, ALU)   ModRM; r/m is read and written, operand-sized; ALU
 *   MR(B, MOV)    ModRM; r/m is read, 1 byte; MOV
 *   I(B)          no ModRM, an 8-bit immediate, no memory access
 */
#define __		KEDR_KIND(KEDR_K_INVALID, 0)
#define PFX		KEDR_KIND(KEDR_K_PFXBYTE, 0)
#define ___		KEDR_ENTRY(0, KEDR_IMM_NONE, 0, KEDR_SZ_0, 0, 0)	/* just the opcode */
#define I(imm)		KEDR_ENTRY(0, KEDR_IMM_##imm, 0, KEDR_SZ_0, 0, 0)
#define MN		KEDR_ENTRY(1, 0, KEDR_A_NONE, KEDR_SZ_0, 0, 0)
#define MNI(imm)	KEDR_ENTRY(1, KEDR_IMM_##imm, KEDR_A_NONE, KEDR_SZ_0, 0, 0)
#define MR(sz, c)	KEDR_ENTRY(1, 0, KEDR_A_R, KEDR_SZ_##sz, KEDR_CLASS_##c, 0)
#define MW(sz, c)	KEDR_ENTRY(1, 0, KEDR_A_W, KEDR_SZ_##sz, KEDR_CLASS_##c, 0)
#define MRW(sz, c)	KEDR_ENTRY(1, 0, KEDR_A_RW, KEDR_SZ_##sz, KEDR_CLASS_##c, 0)
#define MRI(sz, c, imm)	KEDR_ENTRY(1, KEDR_IMM_##imm, KEDR_A_R, KEDR_SZ_##sz, KEDR_CLASS_##c, 0)
#define MWI(sz, c, imm)	KEDR_ENTRY(1, KEDR_IMM_##imm, KEDR_A_W, KEDR_SZ_##sz, KEDR_CLASS_##c, 0)
#define MRWI(sz, c, imm) KEDR_ENTRY(1, KEDR_IMM_##imm, KEDR_A_RW, KEDR_SZ_##sz, KEDR_CLASS_##c, 0)
#define XCHG_		(MRW(V, XCHG) | KEDR_E_LOCKED)
#define XCHGB		(MRW(B, XCHG) | KEDR_E_LOCKED)
#define FL(imm, f)	KEDR_ENTRY(0, KEDR_IMM_##imm, 0, KEDR_SZ_0, 0, KEDR_FLOW_##f)
#define JCC8		FL(B, JCC)	/* Jcc rel8 */
#define JCC32		FL(Z, JCC)	/* Jcc rel32 */
#define MFL(acc, sz, c, f) KEDR_ENTRY(1, 0, KEDR_A_##acc, KEDR_SZ_##sz, KEDR_CLASS_##c, KEDR_FLOW_##f)
#define GRP(n)		(KEDR_KIND(KEDR_K_GROUP, n) | KEDR_E_MODRM)
#define PFXT(n)		(KEDR_KIND(KEDR_K_PREFIX, n) | KEDR_E_MODRM)
#define X87(n)		(KEDR_KIND(KEDR_K_X87, n) | KEDR_E_MODRM)
#define STR(op, sz)	(KEDR_KIND(KEDR_K_STRING, 0) | \
			 KEDR_ENTRY(0, 0, 0, KEDR_SZ_##sz, KEDR_CLASS_STRING, KEDR_STR_##op))
/* validity: N6(e) "no prefix or 66", O66(e) "66 only", ON(e) "no prefix only",
 * MO(e) memory form only, RO(e) register form only, CRDR MOV CR/DR */
#define VALID(m)	((u32)(m) << KEDR_E_VALID_SHIFT)
#define N6(e)		((e) | VALID(0x3))
#define O66(e)		((e) | VALID(0x2))
#define ON(e)		((e) | VALID(0x1))
#define MO(e)		((e) | KEDR_E_MEM_ONLY)
#define RO(e)		((e) | KEDR_E_REG_ONLY)
#define CRDR		(KEDR_KIND(KEDR_K_MODREG, 0) | KEDR_E_MODRM)
/* SIMD shorthands: read / write a vector-ish operand, optionally with Ib */
#define SR(sz)		MR(sz, SIMD)
#define SW(sz)		MW(sz, SIMD)
#define SRI(sz)		MRI(sz, SIMD, B)
#define SWI(sz)		MWI(sz, SIMD, B)
/* system instructions with a ModRM memory operand */
#define OR_(sz)		MR(sz, OTHER)
#define OW_(sz)		MW(sz, OTHER)

/* Group numbers (kedr_groups[] rows), SDM vol. 2, Table A-6 */
enum {
	G1_80, G1_81, G1_83, G1A_8F, G2_B, G2_V, G2_BI, G2_VI, G3_B, G3_V,
	G4, G5, G11_C6, G11_C7, G_COUNT_1	/* one-byte map */
};
enum {
	G6 = G_COUNT_1, G7, G8, G9, G15, G16, G_0D, G_COUNT
};

/* the "sub" field of an entry has 5 bits */
_Static_assert(G_COUNT <= 32, "too many groups for KEDR_E_SUB");

/* ---- The one-byte map: SDM vol. 2, Table A-2 -------------------------- */

static const u32 kedr_map_1byte[256] = {
/*	 x0          x1          x2          x3          x4        x5        x6    x7 */
/*	 x8          x9          xA          xB          xC        xD        xE    xF */
/* 0x: ADD Eb,Gb .. ADD eAX,Iz; (PUSH/POP ES); OR ..; 0F escape */
	MRW(B, ALU), MRW(V, ALU), MR(B, ALU),  MR(V, ALU),  I(B),     I(Z),     __,   __,
	MRW(B, ALU), MRW(V, ALU), MR(B, ALU),  MR(V, ALU),  I(B),     I(Z),     __,   PFX,
/* 1x: ADC, SBB */
	MRW(B, ALU), MRW(V, ALU), MR(B, ALU),  MR(V, ALU),  I(B),     I(Z),     __,   __,
	MRW(B, ALU), MRW(V, ALU), MR(B, ALU),  MR(V, ALU),  I(B),     I(Z),     __,   __,
/* 2x: AND, (ES:), (DAA), SUB, (CS:), (DAS) */
	MRW(B, ALU), MRW(V, ALU), MR(B, ALU),  MR(V, ALU),  I(B),     I(Z),     PFX,  __,
	MRW(B, ALU), MRW(V, ALU), MR(B, ALU),  MR(V, ALU),  I(B),     I(Z),     PFX,  __,
/* 3x: XOR, (SS:), (AAA), CMP: reads only, (DS:), (AAS) */
	MRW(B, ALU), MRW(V, ALU), MR(B, ALU),  MR(V, ALU),  I(B),     I(Z),     PFX,  __,
	MR(B, CMP),  MR(V, CMP),  MR(B, CMP),  MR(V, CMP),  I(B),     I(Z),     PFX,  __,
/* 4x: REX prefixes (INC/DEC r32 in 32-bit mode) */
	PFX, PFX, PFX, PFX, PFX, PFX, PFX, PFX, PFX, PFX, PFX, PFX, PFX, PFX, PFX, PFX,
/* 5x: PUSH r64, POP r64: the stack access is implicit */
	___, ___, ___, ___, ___, ___, ___, ___, ___, ___, ___, ___, ___, ___, ___, ___,
/* 6x: (PUSHA, POPA, BOUND=EVEX), MOVSXD Gv,Ed, FS:, GS:, 66, 67, PUSH Iz,
 *     IMUL Gv,Ev,Iz, PUSH Ib, IMUL Gv,Ev,Ib, INS, OUTS */
	__,           __,             PFX,          MR(D, MOV),
	PFX,          PFX,            PFX,          PFX,
	I(Z),         MRI(V, ALU, Z), I(B),         MRI(V, ALU, B),
	STR(INS, B),  STR(INS, Z),    STR(OUTS, B), STR(OUTS, Z),
/* 7x: Jcc rel8 */
	JCC8, JCC8, JCC8, JCC8, JCC8, JCC8, JCC8, JCC8,
	JCC8, JCC8, JCC8, JCC8, JCC8, JCC8, JCC8, JCC8,
/* 8x: group 1, (82 invalid), TEST, XCHG, MOV, MOV Ev,Sw, LEA (memory form only), MOV Sw,Ew,
 *     group 1A (POP Ev) */
	GRP(G1_80),   GRP(G1_81),     __,           GRP(G1_83),
	MR(B, ALU),   MR(V, ALU),     XCHGB,        XCHG_,
	MW(B, MOV),   MW(V, MOV),     MR(B, MOV),   MR(V, MOV),
	MW(W, MOV),   MO(MN),         MR(W, MOV),   GRP(G1A_8F),
/* 9x: NOP/XCHG rAX,r, CBW, CWD, (CALLF), FWAIT, PUSHF, POPF, SAHF, LAHF */
	___, ___, ___, ___, ___, ___, ___, ___, ___, ___, __,  ___, ___, ___, ___, ___,
/* Ax: MOV AL/rAX <-> moffs, MOVS, CMPS, TEST AL/rAX,imm, STOS, LODS, SCAS */
	KEDR_ENTRY(0, KEDR_IMM_O, KEDR_A_R, KEDR_SZ_B, KEDR_CLASS_MOV, 0),
	KEDR_ENTRY(0, KEDR_IMM_O, KEDR_A_R, KEDR_SZ_V, KEDR_CLASS_MOV, 0),
	KEDR_ENTRY(0, KEDR_IMM_O, KEDR_A_W, KEDR_SZ_B, KEDR_CLASS_MOV, 0),
	KEDR_ENTRY(0, KEDR_IMM_O, KEDR_A_W, KEDR_SZ_V, KEDR_CLASS_MOV, 0),
	STR(MOVS, B), STR(MOVS, V),   STR(CMPS, B), STR(CMPS, V),
	I(B),         I(Z),           STR(STOS, B), STR(STOS, V),
	STR(LODS, B), STR(LODS, V),   STR(SCAS, B), STR(SCAS, V),
/* Bx: MOV r8, Ib; MOV r, Iv (the only 8-byte immediate: "movabs") */
	I(B), I(B), I(B), I(B), I(B), I(B), I(B), I(B),
	I(V), I(V), I(V), I(V), I(V), I(V), I(V), I(V),
/* Cx: group 2 Ib, RET Iw, RET, (LES, LDS = VEX), group 11 (MOV Ev,Iz),
 *     ENTER, LEAVE, RETF Iw, RETF, INT3, INT Ib, (INTO), IRET */
	GRP(G2_BI),   GRP(G2_VI),     FL(W, RET),   FL(NONE, RET),
	PFX,          PFX,            GRP(G11_C6),  GRP(G11_C7),
	I(WB),        ___,            FL(W, FAR),   FL(NONE, FAR),
	FL(NONE, INT3), FL(B, INT),   __,           FL(NONE, IRET),
/* Dx: group 2 by 1 and by CL, (AAM, AAD, SALC), XLAT, x87 escapes D8-DF */
	GRP(G2_B),   GRP(G2_V),   GRP(G2_B),   GRP(G2_V),   __,       __,       __,   ___,
	X87(0),      X87(1),      X87(2),      X87(3),      X87(4),   X87(5),   X87(6), X87(7),
/* Ex: LOOPNE, LOOPE, LOOP, JRCXZ, IN/OUT Ib, CALL rel32, JMP rel32,
 *     (JMP far), JMP rel8, IN/OUT DX */
	FL(B, LOOP), FL(B, LOOP), FL(B, LOOP), FL(B, LOOP), I(B),     I(B),     I(B), I(B),
	FL(Z, CALL), FL(Z, JMP),  __,          FL(B, JMP),  ___,      ___,      ___,  ___,
/* Fx: LOCK, INT1, REPNE, REP, HLT, CMC, group 3, CLC..STD, group 4, group 5 */
	PFX,          FL(NONE, INT),  PFX,          PFX,
	FL(NONE, INT), ___,           GRP(G3_B),    GRP(G3_V),
	___,          ___,            ___,          ___,
	___,          ___,            GRP(G4),      GRP(G5),
};

/* ---- The two-byte map 0F xx: SDM vol. 2, Table A-3 --------------------- */

/* Mandatory-prefix tables (rows of kedr_pfx_tables[]) */
enum {
	P_10, P_11, P_12, P_13, P_16, P_17, P_2A, P_6F, P_70, P_7E, P_7F,
	P_B8, P_D6, P_E7, P_38F0, P_38F1, P_38F6, P_78, P_79, P_COUNT
};

static const u32 kedr_map_0f[256] = {
/* 0x: group 6, group 7, LAR, LSL, -, SYSCALL, CLTS, SYSRET,
 *     INVD, WBINVD (F3: WBNOINVD), -, UD2, -, PREFETCH group (0D), FEMMS, 3DNow! (ModRM + Ib) */
	GRP(G6), GRP(G7), MR(W, OTHER), MR(W, OTHER), __, FL(NONE, INT), ___, FL(NONE, SYSRET),
	___,         ___ | VALID(0x5), __,     FL(NONE, UD), __,          GRP(G_0D), ___, MNI(B),
/* 1x: MOVUPS.., MOVLPS.., UNPCKLPS/PD, UNPCKHPS/PD, MOVHPS.., PREFETCHh group 16,
 *     NOP Ev (hint NOPs, ENDBR64) */
	PFXT(P_10),  PFXT(P_11),  PFXT(P_12),  PFXT(P_13),
	N6(SR(X)),   N6(SR(X)),   PFXT(P_16),  PFXT(P_17),
	GRP(G16),    MN,          MN,          MN,          MN,       MN,       MN,   MN,
/* 2x: MOV from/to CR, DR (register only, whatever mod says), MOVAPS/PD,
 *     CVTPI2PS.., MOVNTPS/PD, CVTTPS2PI.., CVTPS2PI.., UCOMISS/SD, COMISS/SD */
	CRDR,        CRDR,        CRDR,        CRDR,        __,       __,       __,   __,
	N6(SR(X)), N6(SW(X)), PFXT(P_2A), MO(SW(X)), SR(HS), SR(HS), N6(SR(UC)), N6(SR(UC)),
/* 3x: WRMSR, RDTSC, RDMSR, RDPMC, SYSENTER, SYSEXIT, -, GETSEC, 0F38, -, 0F3A */
	___, ___, ___, ___, FL(NONE, INT), FL(NONE, SYSRET), __, ___,
	PFX,         __,          PFX,         __,          __,       __,       __,   __,
/* 4x: CMOVcc Gv,Ev: reads its source whatever the condition */
	MR(V, CMOVCC), MR(V, CMOVCC), MR(V, CMOVCC), MR(V, CMOVCC),
	MR(V, CMOVCC), MR(V, CMOVCC), MR(V, CMOVCC), MR(V, CMOVCC),
	MR(V, CMOVCC), MR(V, CMOVCC), MR(V, CMOVCC), MR(V, CMOVCC),
	MR(V, CMOVCC), MR(V, CMOVCC), MR(V, CMOVCC), MR(V, CMOVCC),
/* 5x: MOVMSKPS/PD (reg), SQRT.., RSQRTPS/SS, RCPPS/SS, AND, ANDN, OR, XOR (ps/pd),
 *     ADD, MUL, CVTPS2PD.., CVTDQ2PS/CVTPS2DQ/CVTTPS2DQ, SUB, MIN, DIV, MAX */
	N6(RO(MN)),  SR(PS),      SR(PS) | VALID(0x5), SR(PS) | VALID(0x5),
	N6(SR(X)),   N6(SR(X)),   N6(SR(X)),   N6(SR(X)),
	SR(PS),      SR(PS),      SR(HS),      SR(X) | VALID(0x7), SR(PS), SR(PS), SR(PS), SR(PS),
/* 6x: PUNPCKL.., PACK.., PCMPGT.., PUNPCKH.., PUNPCKLQDQ/HQDQ (66), MOVD/Q Ey,
 *     MOVQ/MOVDQA/MOVDQU */
	N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)),
	N6(SR(MX)),
	N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), O66(SR(X)), O66(SR(X)), N6(SR(Y)),
	PFXT(P_6F),
/* 7x: PSHUF.. Ib, groups 12-14 (register only, Ib), PCMPEQB/W/D, EMMS (VEX: VZEROUPPER,
 *     no ModRM), VMREAD/EXTRQ/INSERTQ, VMWRITE/.., -, -, HADDPD/PS, HSUBPD/PS, MOVD/Q, MOVQ/.. */
	PFXT(P_70), N6(RO(MNI(B))), N6(RO(MNI(B))), N6(RO(MNI(B))), N6(SR(MX)), N6(SR(MX)),
	N6(SR(MX)), ON(___),
	PFXT(P_78), PFXT(P_79), __, __, SR(X) | VALID(0xa), SR(X) | VALID(0xa), PFXT(P_7E),
	PFXT(P_7F),
/* 8x: Jcc rel32 */
	JCC32, JCC32, JCC32, JCC32, JCC32, JCC32, JCC32, JCC32,
	JCC32, JCC32, JCC32, JCC32, JCC32, JCC32, JCC32, JCC32,
/* 9x: SETcc Eb: writes one byte */
	MW(B, SETCC), MW(B, SETCC), MW(B, SETCC), MW(B, SETCC),
	MW(B, SETCC), MW(B, SETCC), MW(B, SETCC), MW(B, SETCC),
	MW(B, SETCC), MW(B, SETCC), MW(B, SETCC), MW(B, SETCC),
	MW(B, SETCC), MW(B, SETCC), MW(B, SETCC), MW(B, SETCC),
/* Ax: PUSH FS, POP FS, CPUID, BT Ev,Gv, SHLD Ib, SHLD CL, VIA PadLock (A6: MONTMUL, XSHA1,
 *     XSHA256; A7: XSTORE, XCRYPTECB..: register ModRM, implicit [rsi]/[rdi] not reported),
 *     PUSH GS, POP GS, RSM, BTS, SHRD Ib, SHRD CL, group 15, IMUL Gv,Ev */
	___, ___, ___, MR(V, BITOP), MRWI(V, SHIFT, B), MRW(V, SHIFT), RO(MN), RO(MN),
	___, ___, ___, MRW(V, BITOP), MRWI(V, SHIFT, B), MRW(V, SHIFT), GRP(G15), MR(V, ALU),
/* Bx: CMPXCHG, LSS, BTR, LFS, LGS, MOVZX, POPCNT(F3)/JMPE, UD1, group 8, BTC,
 *     BSF/TZCNT, BSR/LZCNT, MOVSX */
	MRW(B, CMPXCHG), MRW(V, CMPXCHG), MO(OR_(MP)), MRW(V, BITOP), MO(OR_(MP)), MO(OR_(MP)),
	MR(B, MOV), MR(W, MOV),
	PFXT(P_B8),  MFL(NONE, 0, NONE, UD), GRP(G8), MRW(V, BITOP), MR(V, BITOP) | VALID(0x7),
	MR(V, BITOP) | VALID(0x7), MR(B, MOV), MR(W, MOV),
/* Cx: XADD, CMPPS.. Ib, MOVNTI, PINSRW Ib, PEXTRW Ib (reg), SHUFPS/PD Ib, group 9, BSWAP r */
	MRW(B, XADD), MRW(V, XADD), SRI(PS), ON(MO(MW(Y, SIMD))), N6(SRI(W)), N6(RO(MNI(B))),
	N6(SRI(X)), GRP(G9),
	___,         ___,         ___,         ___,         ___,      ___,      ___,  ___,
/* Dx: ADDSUBPD/PS, PSRL.., PADDQ, PMULLW, MOVQ (66: store), PMOVMSKB (reg),
 *     PSUBUS.., PMINUB, PAND, .. */
	SR(X) | VALID(0xa), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), PFXT(P_D6),
	RO(MN),
	N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)),
	N6(SR(MX)),
/* Ex: PAVGB, PSRA.., PMULHUW, CVTTPD2DQ/CVTDQ2PD/CVTPD2DQ, MOVNTQ/MOVNTDQ (store),
 *     PSUBS.., POR, PXOR */
	N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), SR(X) | VALID(0xe),
	PFXT(P_E7),
	N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)),
	N6(SR(MX)),
/* Fx: LDDQU (F2), PSLL.., PMULUDQ, PMADDWD, PSADBW, MASKMOVQ/DQU (reg), PSUB.., PADD.., UD0 */
	MO(SR(X)) | VALID(0x8), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)),
	N6(SR(MX)), N6(RO(MN)),
	N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)),
	MFL(NONE, 0, NONE, UD),
};

/* ---- The three-byte map 0F 38 xx: SDM vol. 2, Table A-4 ---------------- */

/*
 * Every 0F 38 instruction has a ModRM byte and no immediate. Most are
 * SSSE3/SSE4 vector operations that read their r/m operand (MMX m64
 * without 66, m128 with it: size code MX); SSE4 ones exist only with 66.
 */
static const u32 kedr_map_0f38[256] = {
/* 0x: PSHUFB, PHADDW, PHADDD, PHADDSW, PMADDUBSW, PHSUBW, PHSUBD, PHSUBSW,
 *     PSIGNB, PSIGNW, PSIGND, PMULHRSW; (0C-0F VEX only) */
	N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)),
	N6(SR(MX)),
	N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), __,     __,     __,     __,
/* 1x: PBLENDVB, -, -, -, BLENDVPS, BLENDVPD, -, PTEST, -, -, -, -, PABSB, PABSW, PABSD, - */
	O66(SR(X)), __,     __,     __,     O66(SR(X)), O66(SR(X)), __,     O66(SR(X)),
	__,     __,     __,     __,     N6(SR(MX)), N6(SR(MX)), N6(SR(MX)), __,
/* 2x: PMOVSXBW, BD, BQ, WD, WQ, DQ, -, -, PMULDQ, PCMPEQQ, MOVNTDQA, PACKUSDW */
	O66(SR(VH)), O66(SR(VQ)), O66(SR(VE)), O66(SR(VH)), O66(SR(VQ)), O66(SR(VH)), __, __,
	O66(SR(X)), O66(SR(X)), O66(MO(SR(X))), O66(SR(X)), __,     __,     __,     __,
/* 3x: PMOVZX.., -, PCMPGTQ, PMINSB, PMINSD, PMINUW, PMINUD, PMAXSB, PMAXSD, PMAXUW, PMAXUD */
	O66(SR(VH)), O66(SR(VQ)), O66(SR(VE)), O66(SR(VH)), O66(SR(VQ)), O66(SR(VH)), __,
	O66(SR(X)),
	O66(SR(X)), O66(SR(X)), O66(SR(X)), O66(SR(X)), O66(SR(X)), O66(SR(X)), O66(SR(X)),
	O66(SR(X)),
/* 4x: PMULLD, PHMINPOSUW */
	O66(SR(X)), O66(SR(X)), __, __, __, __, __, __, __, __, __, __, __, __, __, __,
/* 5x-7x: VEX/EVEX only */
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
/* 8x: INVEPT, INVVPID, INVPCID (66): read a 16-byte descriptor */
	O66(MO(OR_(O))), O66(MO(OR_(O))), O66(MO(OR_(O))), __, __, __, __, __,
	__, __, __, __, __, __, __, __,
/* 9x-Bx: VEX only (gathers, FMA) */
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
/* Cx: SHA1NEXTE, SHA1MSG1, SHA1MSG2, SHA256RNDS2, SHA256MSG1, SHA256MSG2 (C8-CD),
 *     CF GF2P8MULB (66) */
	__, __, __, __, __, __, __, __,
	ON(SR(X)), ON(SR(X)), ON(SR(X)), ON(SR(X)), ON(SR(X)), ON(SR(X)), __, O66(SR(X)),
/* Dx: AESIMC, AESENC, AESENCLAST, AESDEC, AESDECLAST (DB-DF, 66) */
	__, __, __, __, __, __, __, __,
	__, __, __, O66(SR(X)), O66(SR(X)), O66(SR(X)), O66(SR(X)), O66(SR(X)),
/* Ex: - */
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
/* Fx: MOVBE/CRC32, MOVBE/CRC32, -, -, -, -, ADCX/ADOX, -,
 *     F8: MOVDIR64B (66), ENQCMDS (F3), ENQCMD (F2); F9: MOVDIRI */
	PFXT(P_38F0), PFXT(P_38F1), __, __, __, __, PFXT(P_38F6), __,
	MO(OW_(0)) | VALID(0xe), ON(MO(MW(Y, OTHER))), __, __, __, __, __, __,
};

/* ---- The three-byte map 0F 3A xx: SDM vol. 2, Table A-5 ---------------- */

/* Every 0F 3A instruction has a ModRM byte and an 8-bit immediate. */
static const u32 kedr_map_0f3a[256] = {
/* 0x: (VEX only), ROUNDPS, PD, SS, SD, BLENDPS, PD, PBLENDW, PALIGNR */
	__, __, __, __, __, __, __, __,
	O66(SRI(X)), O66(SRI(X)), O66(SRI(D)), O66(SRI(Q)), O66(SRI(X)), O66(SRI(X)), O66(SRI(X)),
	N6(SRI(MX)),
/* 1x: PEXTRB, PEXTRW, PEXTRD/Q, EXTRACTPS: store to memory */
	__, __, __, __, O66(SWI(B)), O66(SWI(W)), O66(SWI(Y)), O66(SWI(D)),
	__, __, __, __, __, __, __, __,
/* 2x: PINSRB, INSERTPS, PINSRD/Q */
	O66(SRI(B)), O66(SRI(D)), O66(SRI(Y)), __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
/* 4x: DPPS, DPPD, MPSADBW, -, PCLMULQDQ */
	O66(SRI(X)), O66(SRI(X)), O66(SRI(X)), __, O66(SRI(X)), __, __, __,
	__, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
/* 6x: PCMPESTRM, PCMPESTRI, PCMPISTRM, PCMPISTRI */
	O66(SRI(X)), O66(SRI(X)), O66(SRI(X)), O66(SRI(X)), __, __, __, __,
	__, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
/* Cx: SHA1RNDS4 (CC), GF2P8AFFINEQB, GF2P8AFFINEINVQB (CE, CF, 66) */
	__, __, __, __, __, __, __, __, __, __, __, __, ON(SRI(X)), __, O66(SRI(X)), O66(SRI(X)),
/* Dx: AESKEYGENASSIST (DF, 66) */
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, O66(SRI(X)),
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	__, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
};

/* ---- Groups: the ModRM.reg field picks the instruction (Table A-6) ----- */

/* F6 /0 and F7 /0 TEST carry an immediate that the rest of group 3 has not:
 * the immediate kind lives in the group entry, not in the opcode entry. */
#define ALU8I		MRWI(B, ALU, B)
static const u32 kedr_groups[G_COUNT][8] = {
/*	group 1: /0 ADD  /1 OR  /2 ADC  /3 SBB  /4 AND  /5 SUB  /6 XOR  /7 CMP */
	[G1_80] = { ALU8I, ALU8I, ALU8I, ALU8I, ALU8I, ALU8I, ALU8I, MRI(B, CMP, B) },
	[G1_81] = { MRWI(V, ALU, Z), MRWI(V, ALU, Z), MRWI(V, ALU, Z), MRWI(V, ALU, Z),
		    MRWI(V, ALU, Z), MRWI(V, ALU, Z), MRWI(V, ALU, Z), MRI(V, CMP, Z) },
	[G1_83] = { MRWI(V, ALU, B), MRWI(V, ALU, B), MRWI(V, ALU, B), MRWI(V, ALU, B),
		    MRWI(V, ALU, B), MRWI(V, ALU, B), MRWI(V, ALU, B), MRI(V, CMP, B) },
/*		/0 POP Ev (the others are AMD XOP, refused before this table) */
	[G1A_8F] = { MW(D64, STACK), __, __, __, __, __, __, __ },
/*		/0 ROL  /1 ROR  /2 RCL  /3 RCR  /4 SHL  /5 SHR  /6 (SAL alias)  /7 SAR */
	[G2_B]	= { MRW(B, SHIFT), MRW(B, SHIFT), MRW(B, SHIFT), MRW(B, SHIFT),
		    MRW(B, SHIFT), MRW(B, SHIFT), MRW(B, SHIFT), MRW(B, SHIFT) },
	[G2_V]	= { MRW(V, SHIFT), MRW(V, SHIFT), MRW(V, SHIFT), MRW(V, SHIFT),
		    MRW(V, SHIFT), MRW(V, SHIFT), MRW(V, SHIFT), MRW(V, SHIFT) },
	[G2_BI]	= { MRWI(B, SHIFT, B), MRWI(B, SHIFT, B),
		    MRWI(B, SHIFT, B), MRWI(B, SHIFT, B),
		    MRWI(B, SHIFT, B), MRWI(B, SHIFT, B), MRWI(B, SHIFT, B), MRWI(B, SHIFT, B) },
	[G2_VI]	= { MRWI(V, SHIFT, B), MRWI(V, SHIFT, B),
		    MRWI(V, SHIFT, B), MRWI(V, SHIFT, B),
		    MRWI(V, SHIFT, B), MRWI(V, SHIFT, B), MRWI(V, SHIFT, B), MRWI(V, SHIFT, B) },
/*		/0 TEST Ib  /1 (TEST alias)  /2 NOT  /3 NEG  /4 MUL  /5 IMUL  /6 DIV  /7 IDIV */
	[G3_B]	= { MRI(B, ALU, B), MRI(B, ALU, B), MRW(B, ALU), MRW(B, ALU),
		    MR(B, ALU), MR(B, ALU), MR(B, ALU), MR(B, ALU) },
	[G3_V]	= { MRI(V, ALU, Z), MRI(V, ALU, Z), MRW(V, ALU), MRW(V, ALU),
		    MR(V, ALU), MR(V, ALU), MR(V, ALU), MR(V, ALU) },
/*		/0 INC Eb  /1 DEC Eb */
	[G4]	= { MRW(B, ALU), MRW(B, ALU), __, __, __, __, __, __ },
/*		/0 INC  /1 DEC  /2 CALL Ev  /3 CALLF Mp  /4 JMP Ev  /5 JMPF Mp  /6 PUSH Ev */
	[G5]	= { MRW(V, ALU), MRW(V, ALU), MFL(R, Q, BRANCH, CALL_IND),
		    MO(MFL(R, MP, BRANCH, FAR)), MFL(R, Q, BRANCH, JMP_IND),
		    MO(MFL(R, MP, BRANCH, FAR)), MR(D64, STACK), __ },
/*		/0 MOV Eb,Ib  (C6 F8 is XABORT Ib: register form, same length) */
	[G11_C6] = { MWI(B, MOV, B), __, __, __, __, __, __, RO(MNI(B)) },
/*		/0 MOV Ev,Iz  (C7 F8 is XBEGIN rel32: register form, handled by the decoder) */
	[G11_C7] = { MWI(V, MOV, Z), __, __, __, __, __, __,
		     RO(KEDR_ENTRY(1, KEDR_IMM_Z, KEDR_A_NONE, KEDR_SZ_0, 0, KEDR_FLOW_XBEGIN)) },
/*		0F 00: /0 SLDT  /1 STR  /2 LLDT  /3 LTR  /4 VERR  /5 VERW */
	[G6]	= { OW_(W), OW_(W), OR_(W), OR_(W), OR_(W), OR_(W), __, __ },
/*		0F 01 memory forms: SGDT, SIDT, LGDT, LIDT, SMSW, (RSTORSSP), LMSW, INVLPG.
 *		Register forms (VMCALL, MONITOR, SWAPGS, RDTSCP...) have no memory
 *		operand and the same length. */
	[G7]	= { OW_(T), OW_(T), OR_(T), OR_(T), OW_(W), MN, OR_(W), MN },
/*		0F BA: /4 BT  /5 BTS  /6 BTR  /7 BTC, all with Ib */
	[G8]	= { __, __, __, __, MRI(V, BITOP, B), MRWI(V, BITOP, B),
		    MRWI(V, BITOP, B), MRWI(V, BITOP, B) },
/*		0F C7: /1 CMPXCHG8B/16B, /3 XRSTORS, /4 XSAVEC, /5 XSAVES,
 *		/6 VMPTRLD (VMCLEAR with 66, VMXON with F3; RDRAND in register form),
 *		/7 VMPTRST (RDSEED, RDPID in register form) */
	[G9]	= { __, MRW(DQ, CMPXCHG), __, OR_(0), OW_(0), OW_(0), OR_(Q), OW_(Q) },
/*		0F AE memory forms: FXSAVE, FXRSTOR, LDMXCSR, STMXCSR, XSAVE, XRSTOR,
 *		XSAVEOPT, CLFLUSH. Register forms: LFENCE, MFENCE, SFENCE, RDFSBASE.. */
	[G15]	= { OW_(512), OR_(512), OR_(D), OW_(D), OW_(0), OR_(0), OW_(0), MN },
/*		0F 18: PREFETCHNTA, T0, T1, T2; the rest are hint NOPs */
	[G16]	= { MN, MN, MN, MN, MN, MN, MN, MN },
/*		0F 0D: PREFETCH, PREFETCHW (AMD/Intel) */
	[G_0D]	= { MO(MN), MO(MN), MO(MN), MO(MN), MO(MN), MO(MN), MO(MN), MO(MN) },
};
#undef ALU8I

/* ---- Mandatory prefixes: [none, 66, F3, F2] (SDM vol. 2, Table A-3) ---- */

_Static_assert(P_COUNT <= 32, "too many prefix tables for KEDR_E_SUB");

static const u32 kedr_pfx_tables[P_COUNT][4] = {
/*		none              66                F3                F2 */
	[P_10] = { SR(X), SR(X), SR(D), SR(Q) }, /* MOVUPS/UPD/SS/SD load */
	[P_11] = { SW(X),          SW(X),            SW(D),            SW(Q) },	/* store */
	[P_12] = { SR(Q), MO(SR(Q)), SR(X), SR(Q) }, /* MOVLPS, MOVLPD, MOVSLDUP, MOVDDUP */
	[P_13] = { MO(SW(Q)), MO(SW(Q)), __, __ }, /* MOVLPS, MOVLPD store */
	[P_16] = { SR(Q), MO(SR(Q)), SR(X), __ }, /* MOVHPS, MOVHPD, MOVSHDUP */
	[P_17] = { MO(SW(Q)), MO(SW(Q)), __, __ }, /* MOVHPS, MOVHPD store */
	[P_2A] = { SR(Q), SR(Q), SR(Y), SR(Y) }, /* CVTPI2PS/PD, CVTSI2SS/SD */
	[P_6F] = { SR(Q), SR(X), SR(X), __ }, /* MOVQ, MOVDQA, MOVDQU */
	[P_70] = { SRI(Q), SRI(X), SRI(X), SRI(X) }, /* PSHUFW, PSHUFD, PSHUFHW, PSHUFLW */
	[P_7E] = { SW(Y), SW(Y), SR(Q), __ }, /* MOVD/Q Ey store; F3: MOVQ xmm, m64 load */
	[P_7F] = { SW(Q), SW(X), SW(X), __ }, /* MOVQ, MOVDQA, MOVDQU store */
	[P_B8] = { __,             __,               MR(V, BITOP),     __ },	/* POPCNT */
	[P_D6] = { __, SW(Q), RO(MN), RO(MN) }, /* MOVQ store; MOVQ2DQ, MOVDQ2Q */
	[P_E7] = { MO(SW(Q)), MO(SW(X)), __, __ }, /* MOVNTQ, MOVNTDQ */
	[P_38F0] = { MO(MR(V, MOV)), MO(MR(V, MOV)), __, MR(B, OTHER) }, /* MOVBE Gv, Mv; CRC32 Gd,
	Eb */
	[P_38F1] = { MO(MW(V, MOV)), MO(MW(V, MOV)), __, MR(V, OTHER) }, /* MOVBE Mv, Gv; CRC32 Gd,
	Ev */
	[P_38F6] = { __,           MR(Y, OTHER),     MR(Y, OTHER),     __ },	/* ADCX, ADOX */
	[P_78]	= { MW(Q, OTHER), RO(MNI(BB)), __, RO(MNI(BB)) }, /* VMREAD Ey,
	Gy; EXTRQ; INSERTQ */
	[P_79]	= { MR(Q, OTHER), RO(MN), __, RO(MN) }, /* VMWRITE Gy, Ey; EXTRQ; INSERTQ */
};

/* ---- x87 (D8-DF) memory forms: [opcode - D8][ModRM.reg] ---------------- */

/*
 * The x87 escape opcodes all have ModRM. With a memory operand the
 * access is (SDM vol. 2, Table ): R/W and the width of the
 * memory format (m32fp, m64fp, m80, m16int, m32int, m64int, env, state).
 */
#define XR(n)	(KEDR_A_R | ((n) << 2))
#define XW(n)	(KEDR_A_W | ((n) << 2))
static const u8 kedr_x87_mem[8][8] = {
/*		/0     /1     /2     /3     /4        /5     /6        /7 */
/* D8 */	{ XR(4), XR(4), XR(4), XR(4), XR(4),    XR(4), XR(4),    XR(4) },
/* D9 */	{ XR(4), 0,     XW(4), XW(4), XR(28),   XR(2), XW(28),   XW(2) },
/* DA */	{ XR(4), XR(4), XR(4), XR(4), XR(4),    XR(4), XR(4),    XR(4) },
/* DB */	{ XR(4), XW(4), XW(4), XW(4), 0,        XR(10), 0,       XW(10) },
/* DC */	{ XR(8), XR(8), XR(8), XR(8), XR(8),    XR(8), XR(8),    XR(8) },
/* DD */	{ XR(8), XW(8), XW(8), XW(8), XR(27),   0,     XW(27),   XW(2) },
/* DE */	{ XR(2), XR(2), XR(2), XR(2), XR(2),    XR(2), XR(2),    XR(2) },
/* DF */	{ XR(2), XW(2), XW(2), XW(2), XR(10),   XR(8), XW(10),   XW(8) },
};
/* A 0 is a memory form that does not exist (#UD): "unknown".
 * NB: 27 above stands for the 108-byte FNSAVE/FRSTOR image (27 * 4),
 * the only x87 width that does not fit the 6 bits kept here. */
#define KEDR_X87_FSAVE_CODE	27
#define KEDR_X87_FSAVE_SIZE	108
#undef XR
#undef XW

/* ---- VEX/EVEX exceptions ---------------------------------------------- */

/*
 * Under VEX/EVEX the 0F map keeps the legacy entries (VEX.pp plays the
 * role of the mandatory prefix); for 0F 38 and 0F 3A nearly every VEX
 * instruction reads a whole vector, so the decoder assumes "ModRM, read,
 * VL bytes" (plus Ib in 0F 3A) and this list names the exceptions that
 * write memory, read less than a vector, or are not vector operations.
 * Opcodes not in the legacy table nor here are still decoded (VEX fixes
 * the length), see "Limitations" in the chapter.
 */
struct kedr_vex_exception {
	u8 map;		/* KEDR_MAP_0F38 or KEDR_MAP_0F3A */
	u8 opcode;
	u32 entry;
};

/* Opcode maps (also the value of struct kedr_insn::map) */
#define KEDR_MAP_1BYTE	0
#define KEDR_MAP_0F	1
#define KEDR_MAP_0F38	2
#define KEDR_MAP_0F3A	3

static const struct kedr_vex_exception kedr_vex_exceptions[] = {
	{ KEDR_MAP_0F38, 0x18, SR(D) },		/* VBROADCASTSS m32 */
	{ KEDR_MAP_0F38, 0x19, SR(Q) },		/* VBROADCASTSD m64 */
	{ KEDR_MAP_0F38, 0x1A, SR(O) },		/* VBROADCASTF128 m128 */
	{ KEDR_MAP_0F38, 0x2E, SW(X) },		/* VMASKMOVPS store (masked) */
	{ KEDR_MAP_0F38, 0x2F, SW(X) },		/* VMASKMOVPD store (masked) */
	{ KEDR_MAP_0F38, 0x58, SR(D) },		/* VPBROADCASTD m32 */
	{ KEDR_MAP_0F38, 0x59, SR(Q) },		/* VPBROADCASTQ m64 */
	{ KEDR_MAP_0F38, 0x5A, SR(O) },		/* VBROADCASTI128 m128 */
	{ KEDR_MAP_0F38, 0x78, SR(B) },		/* VPBROADCASTB m8 */
	{ KEDR_MAP_0F38, 0x79, SR(W) },		/* VPBROADCASTW m16 */
	{ KEDR_MAP_0F38, 0x8E, SW(X) },		/* VPMASKMOVD/Q store (masked) */
	{ KEDR_MAP_0F38, 0xF2, MR(Y, OTHER) },	/* ANDN (BMI1) */
	{ KEDR_MAP_0F38, 0xF3, MR(Y, OTHER) },	/* BLSR, BLSMSK, BLSI (group 17) */
	{ KEDR_MAP_0F38, 0xF5, MR(Y, OTHER) },	/* BZHI, PDEP, PEXT */
	{ KEDR_MAP_0F38, 0xF6, MR(Y, OTHER) },	/* MULX */
	{ KEDR_MAP_0F38, 0xF7, MR(Y, OTHER) },	/* BEXTR, SHLX, SARX, SHRX */
	{ KEDR_MAP_0F3A, 0x14, SWI(B) },	/* VPEXTRB */
	{ KEDR_MAP_0F3A, 0x15, SWI(W) },	/* VPEXTRW */
	{ KEDR_MAP_0F3A, 0x16, SWI(Y) },	/* VPEXTRD/Q */
	{ KEDR_MAP_0F3A, 0x17, SWI(D) },	/* VEXTRACTPS */
	{ KEDR_MAP_0F3A, 0x18, SRI(O) },	/* VINSERTF128 m128 */
	{ KEDR_MAP_0F3A, 0x19, SWI(O) },	/* VEXTRACTF128 m128 */
	{ KEDR_MAP_0F3A, 0x1D, SWI(VH) },	/* VCVTPS2PH */
	{ KEDR_MAP_0F3A, 0x38, SRI(O) },	/* VINSERTI128 m128 */
	{ KEDR_MAP_0F3A, 0x39, SWI(O) },	/* VEXTRACTI128 m128 */
	{ KEDR_MAP_0F3A, 0x3B, SWI(VH) },	/* VEXTRACTI32X8/64X4 (EVEX) */
	{ KEDR_MAP_0F3A, 0x1B, SWI(VH) },	/* VEXTRACTF32X8/64X4 (EVEX) */
	{ KEDR_MAP_0F3A, 0xF0, MRI(Y, OTHER, B) },	/* RORX */
};

/* ---- String operations: what they do to [rsi] and [rdi] --------------- */

/*
 * SDM vol. 2, MOVS/CMPS/STOS/LODS/SCAS/INS/OUTS: the source is DS:[rsi]
 * (the segment may be overridden), the destination ES:[rdi] (never).
 */
static const u8 kedr_str_access[8][2] = {
/*			  [rsi]         [rdi] */
	[KEDR_STR_MOVS] = { KEDR_A_R,    KEDR_A_W },
	[KEDR_STR_CMPS] = { KEDR_A_R,    KEDR_A_R },
	[KEDR_STR_STOS] = { KEDR_A_NONE, KEDR_A_W },
	[KEDR_STR_LODS] = { KEDR_A_R,    KEDR_A_NONE },
	[KEDR_STR_SCAS] = { KEDR_A_NONE, KEDR_A_R },
	[KEDR_STR_INS]  = { KEDR_A_NONE, KEDR_A_W },
	[KEDR_STR_OUTS] = { KEDR_A_R,    KEDR_A_NONE },
};

/* The shorthands were for the tables only: keep them out of the code. */
#undef __
#undef PFX
#undef ___
#undef I
#undef MN
#undef MNI
#undef MR
#undef MW
#undef MRW
#undef MRI
#undef MWI
#undef MRWI
#undef XCHG_
#undef XCHGB
#undef FL
#undef JCC8
#undef JCC32
#undef MFL
#undef GRP
#undef PFXT
#undef X87
#undef STR
#undef SR
#undef SW
#undef SRI
#undef SWI
#undef OR_
#undef OW_
#undef CRDR
#undef RO
#undef MO
#undef ON
#undef O66
#undef N6
#undef VALID

#endif /* KEDR_INSN_TABLES_H */
