#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""doc/capture.py - make the walkthrough's captures (build/doc/captures/).

    capture.py --host     what the host can see: one function of the sample
                          target as the .ko file holds it (objdump -dr), and
                          the byte diagram of two of its instructions (from
                          kedr_sample's own decoder, build/decoder/insn-dump)
    capture.py --lab      boot the lab once (doc/capture-guest.sh) and keep
                          what it printed: the function's bytes before and
                          after patching and its instance, disassembled; the
                          [sample] log lines; the trace; the session;
                          then once more (doc/capture-big.sh) with amdgpu,
                          too big for the area: its log and functions;
                          and make demo's fat scenario (tests/demo.sh):
                          its session and trace
    capture.py --lab --kernel SERIES
                          the same on the lab kernel SERIES (LAB_KERNEL: 6.12
                          for the chapter "What 6.12 changed"), each capture
                          named NAME-SERIES

Every capture file starts with one line "#% key=value ..." (where it came
from, which kernel); doc/snippets.lua shows it under the excerpt and drops
it from the text. A capture that cannot be made is replaced by NAME.failed,
one line saying why, which the page shows instead. Nothing here is typed by
hand: all of it is the output of the programs named.
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import tempfile

FUNC = "cfake_open"
TARGET_KO = "sample_target/kedr_sample_target.ko"
GUEST_CAPTURES = ("before", "after", "instance", "symbols", "session", "log", "trace")
BIG_CAPTURES = ("big-log", "big-functions")


def target_ko(top):
    """kedr_sample_target.ko as built for the lab kernel (make lab-modules,
    LAB_KERNEL's series), else as built in the tree (plain make)."""
    try:
        with open(os.path.join(top, "build", "lab", os.environ.get("LAB_KERNEL") or "6.1",
                               "kernel-version")) as f:
            ko = os.path.join(top, "build", "mod", f.read().strip(), TARGET_KO)
        if os.path.exists(ko):
            return ko
    except OSError:
        pass
    return os.path.join(top, TARGET_KO)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def today():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


class Out:
    def __init__(self, top, outdir, suffix=""):
        self.top, self.dir, self.suffix = top, outdir, suffix
        os.makedirs(outdir, exist_ok=True)

    def write(self, name, header, text):
        name += self.suffix
        for stale in (name + ".failed",):
            p = os.path.join(self.dir, stale)
            if os.path.exists(p):
                os.unlink(p)
        with open(os.path.join(self.dir, name), "w") as f:
            f.write("#% " + header + "\n" + text.rstrip("\n") + "\n")

    def fail(self, name, why):
        name += self.suffix
        p = os.path.join(self.dir, name)
        if os.path.exists(p):
            os.unlink(p)
        with open(p + ".failed", "w") as f:
            f.write(why.strip().replace("\n", " ") + "\n")
        print(f"capture: {name}: not made: {why}", file=sys.stderr)


# ---- the .ko file ------------------------------------------------------

def func_symbol(ko, name):
    """(section index, value, size) of a FUNC symbol in a .ko."""
    for line in run(["readelf", "-sW", ko]).splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] == "FUNC" and f[7] == name:
            return int(f[6]), int(f[1], 16), int(f[2])
    raise RuntimeError(f"{name} is not in the symbol table of {ko}")


def section_name(ko, index):
    for line in run(["readelf", "-SW", ko]).splitlines():
        m = re.match(r"\s*\[\s*(\d+)\]\s+(\S+)", line)
        if m and int(m.group(1)) == index:
            return m.group(2)
    raise RuntimeError(f"no section {index} in {ko}")


def file_disassembly(ko, name):
    sec, value, size = func_symbol(ko, name)
    text = run(["objdump", "-dr", "-j", section_name(ko, sec),
                f"--start-address={value:#x}", f"--stop-address={value + size:#x}", ko])
    body = text.split(f"<{name}>:\n", 1)
    if len(body) != 2:
        raise RuntimeError(f"objdump printed no {name}")
    return value, size, body[1].rstrip()


def reloc_symbols(disasm):
    """The symbols named by the relocations in a disassembly."""
    names = []
    for m in re.finditer(r"R_X86_64_\w+\s+([A-Za-z_][\w.]*)", disasm):
        if not m.group(1).startswith(".") and m.group(1) not in names:
            names.append(m.group(1))
    return names


def insn_fields(top, hexbytes):
    dump = os.path.join(top, "build/decoder/insn-dump")
    line = run([dump, "--hex", hexbytes]).strip()
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


REGS = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]


def byte_diagram(fields, hexbytes, where, asm):
    """A column per field of the instruction, from the decoder's offsets."""
    b = hexbytes.split()
    n = int(fields["len"])
    cuts = []        # (offset, name, notes)
    pfx_end = int(fields["modrm_off"]) - 1 if fields["modrm_off"] != "0" else n
    rex = int(fields["rex"], 16)
    op_off = 0
    legacy = []
    for i, x in enumerate(b[:n]):
        v = int(x, 16)
        if 0x40 <= v <= 0x4f and i < pfx_end:
            op_off = i + 1
            continue
        if x in ("f0", "f2", "f3", "66", "67", "2e", "36", "3e", "26", "64", "65") and i < pfx_end:
            legacy.append(i)
            op_off = i + 1
            continue
        break
    seg = {"64": "%fs", "65": "%gs"}
    for i in legacy:
        cuts.append((i, 1, "prefix", [seg.get(b[i], "legacy")]))
    if rex:
        w, r, xx, bb = (rex >> 3) & 1, (rex >> 2) & 1, (rex >> 1) & 1, rex & 1
        cuts.append((op_off - 1, 1, "REX", ["0100WRXB", f"W={w} R={r}", f"X={xx} B={bb}",
                                            "64-bit" if w else "32-bit"]))
    modrm_off = int(fields["modrm_off"])
    op_end = modrm_off if modrm_off else n
    cuts.append((op_off, op_end - op_off, "opcode", [f"map {fields['map']}" if fields["map"] != "0"
                                                     else "1-byte map", fields["class"].upper()]))
    if modrm_off:
        m = int(b[modrm_off], 16)
        mod, reg, rm = m >> 6, (m >> 3) & 7, m & 7
        regx = reg | (8 if rex & 4 else 0)
        dnote = "rm=101: disp32" if fields["rip"] == "1" else ['no disp', 'disp8', 'disp32', 'register'][mod]
        notes = [f"{mod:02b} {reg:03b} {rm:03b}", f"mod={mod:02b} ({dnote})",
                 f"reg={reg:03b} %{REGS[regx]}"]
        if fields["rip"] == "1":
            notes.append("rm=101 RIP-rel.")
        elif rm == 4 and mod != 3:
            notes.append("rm=100: SIB")
        else:
            notes.append(f"rm={rm:03b} %{REGS[rm | (8 if rex & 1 else 0)]}")
        cuts.append((modrm_off, 1, "ModRM", notes))
    sib_off = int(fields["sib_off"])
    if sib_off:
        s = int(b[sib_off], 16)
        cuts.append((sib_off, 1, "SIB", [f"{s >> 6:02b} {(s >> 3) & 7:03b} {s & 7:03b}",
                                         f"scale={1 << (s >> 6)}", f"index={fields['index']}",
                                         f"base={fields['base']}"]))
    disp_off, disp_size = int(fields["disp_off"]), int(fields["disp_size"])
    if disp_size:
        d = int(fields["disp"])
        cuts.append((disp_off, disp_size, f"disp{8 * disp_size}",
                     ["little-endian", f"= {d:#x}" if d >= 0 else f"= -{-d:#x}", f"({d})"]))
    imm_off, imm_size = int(fields["imm_off"]), int(fields["imm_size"])
    if imm_size:
        cuts.append((imm_off, imm_size, f"imm{8 * imm_size}", [f"= {int(fields['imm']):#x}"]))
    cuts.sort()
    cols = []
    for off, size, name, notes in cuts:
        col = [" ".join(b[off:off + size]), name] + notes
        cols.append(col)
    width = [max(len(s) for s in c) + 3 for c in cols]
    rows = max(len(c) for c in cols)
    out = [f"{where}:  {' '.join(b[:n])}    {asm}", ""]
    for r in range(rows):
        out.append("  " + "".join((c[r] if r < len(c) else "").ljust(w)
                                  for c, w in zip(cols, width)).rstrip())
        if r == 1:
            out.append("  " + "".join(("-" * (w - 3)).ljust(w) for w in width).rstrip())
    acc = {"R": "read", "W": "write", "RW": "read and write"}.get(fields["acc"], fields["acc"])
    out += ["", f"the decoder: length {n}, memory {acc}, {fields['size']} bytes,"
            f" class {fields['class']}, base {fields['base']}, index {fields['index']},"
            f" disp {fields['disp']}, rip-relative {fields['rip']}"]
    return "\n".join(out)


def parse_objdump_lines(text):
    """(address, hex bytes, asm) for each instruction line of objdump -d."""
    insns = []
    for line in text.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t(.*)$", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2).strip(), m.group(3).strip()))
        else:
            m = re.match(r"\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*$", line)
            if m and insns:  # continuation of a long instruction's bytes
                a, h, s = insns[-1]
                insns[-1] = (a, h + " " + m.group(2).strip(), s)
    return insns


def host_captures(out, top):
    ko = target_ko(top)
    try:
        vermagic = run(["modinfo", "-F", "vermagic", ko]).split()[0]
        value, size, dis = file_disassembly(ko, FUNC)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
        for name in ("file", "insn-write", "insn-rip"):
            out.fail(name, f"{TARGET_KO} could not be read ({e}); run make lab-modules")
        return
    hdr = f"source={TARGET_KO} tool=objdump kernel={vermagic} date={today()}"
    out.write("file", hdr, f"{FUNC}, {size} bytes, at {value:#x} in section {section_name(ko, func_symbol(ko, FUNC)[0])} of {os.path.basename(ko)}:\n" + dis)
    insns = parse_objdump_lines(dis)

    def pick(name, pred, why):
        for addr, hexb, asm in insns:
            try:
                f = insn_fields(top, hexb)
            except (OSError, subprocess.CalledProcessError) as e:
                out.fail(name, f"build/decoder/insn-dump failed ({e}); run make host-tools")
                return
            if pred(f):
                where = f"{FUNC}+{addr - value:#x}"
                out.write(name, f"source={TARGET_KO} tool=insn-dump kernel={vermagic} date={today()}",
                          byte_diagram(f, hexb, where, re.sub(r"\s+", " ", re.sub(r"\s*#.*", "", asm))))
                return
        out.fail(name, f"{FUNC} has no {why}")

    # the first write through a base register with a 32-bit displacement
    pick("insn-write", lambda f: f.get("acc") == "W" and f.get("disp_size") == "4"
         and f.get("base") != "none" and f.get("rex") != "0x00", "write with a disp32")
    pick("insn-rip", lambda f: f.get("rip") == "1", "RIP-relative operand")


# ---- the lab -------------------------------------------------------------

def load_symbols(text):
    """[(address, name)] sorted, from /proc/kallsyms lines."""
    syms = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 3 and re.fullmatch(r"[0-9a-f]{16}", f[0]) and int(f[0], 16):
            syms.append((int(f[0], 16), f[2]))
    return sorted(set(syms))


def name_of(syms, addr, extra):
    if addr in extra:
        return extra[addr]
    best = None
    for a, n in syms:
        if a <= addr:
            best = (a, n)
        else:
            break
    if best and addr - best[0] < 0x10000:
        return best[1] if addr == best[0] else f"{best[1]}+{addr - best[0]:#x}"
    return None


def disassemble(hexbytes, addr, syms, extra, sites):
    """objdump of raw bytes, as offset / bytes / instruction, targets named."""
    data = bytes(int(x, 16) for x in hexbytes.split())
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(data)
        f.flush()
        text = run(["objdump", "-D", "-b", "binary", "-mi386:x86-64",
                    f"--adjust-vma={addr:#x}", f.name])
    lines, int3_run = [], []

    def flush_int3():
        if len(int3_run) > 2:
            a = int3_run[0]
            lines.append(f"+{a - addr:#05x}  {'cc ...':<22}int3 x {len(int3_run)}")
        else:
            for a in int3_run:
                lines.append(f"+{a - addr:#05x}  {'cc':<22}int3")
        int3_run.clear()

    for a, hexb, asm in parse_objdump_lines(text):
        asm = re.sub(r"\s+", " ", asm)
        if asm == "int3":
            int3_run.append(a)
            continue
        flush_int3()
        note = ""
        m = re.search(r"(?:call|jmp|j\w+) (0x[0-9a-f]+)$", asm)
        if m:
            t = int(m.group(1), 16)
            if addr <= t < addr + len(data):
                asm = asm.replace(m.group(1), f"+{t - addr:#x}")
            else:
                n = name_of(syms, t, extra)
                if n:
                    asm = asm.replace(m.group(1), n)
        m = re.search(r"mov \$(0x[0-9a-f]+),%rdi$", asm)
        if m and int(m.group(1), 16) in sites:
            note = "   ; a site"
        m = re.search(r"# (0x[0-9a-f]+)$", asm)
        if m:
            n = name_of(syms, int(m.group(1), 16), extra)
            if n:
                asm = asm.replace(m.group(0), f"# {n}")
        b = hexb.split()
        shown = " ".join(b) if len(b) <= 7 else " ".join(b[:6]) + " .."
        lines.append(f"+{a - addr:#05x}  {shown:<22}{asm}{note}")
    flush_int3()
    return "\n".join(lines)


def guest_sections(text):
    caps, cur, buf = {}, None, []
    failed = re.search(r"^=== failed: (.*) ===$", text, re.M)
    for line in text.splitlines():
        m = re.match(r"^=== capture (\S+) ===$", line)
        if m:
            cur, buf = m.group(1), []
            continue
        if cur and line == f"=== end {cur} ===":
            caps[cur] = "\n".join(buf)
            cur = None
            continue
        if cur:
            buf.append(line)
    return caps, failed.group(1) if failed else None


def lab_captures(out, top):
    with tempfile.TemporaryDirectory(prefix="kedr-doc-") as work:
        return lab_run(out, top, work)


def lab_run(out, top, work):
    ko = target_ko(top)
    try:
        _, size, dis = file_disassembly(ko, FUNC)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
        for name in GUEST_CAPTURES:
            out.fail(name, f"{TARGET_KO} could not be read ({e})")
        return 1
    with open(os.path.join(work, "doc-params"), "w") as f:
        f.write(f"{FUNC} {size}\n")
    with open(os.path.join(work, "doc-ksyms"), "w") as f:
        f.write("".join(n + "\n" for n in reloc_symbols(dis)))
    cmd = [os.path.join(top, "tests/vm/run"), "--timeout", "300",
           "--file", os.path.join(top, "build/guest/kcore_read"),
           "--file", os.path.join(work, "doc-params"),
           "--file", os.path.join(work, "doc-ksyms"),
           os.path.join(top, "doc/capture-guest.sh")]
    print("capture: " + " ".join(cmd), file=sys.stderr)
    p = subprocess.run(cmd, capture_output=True, text=True)
    with open(os.path.join(out.dir, "lab-output%s.log" % out.suffix), "w") as f:
        f.write(p.stdout + "\n--- stderr\n" + p.stderr + f"\n--- exit status {p.returncode}\n")
    caps, failed = guest_sections(p.stdout)
    why = failed or (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
    kernel = caps.get("kernel", "").strip()
    if p.returncode != 0 or not kernel:
        for name in GUEST_CAPTURES + ("disasm-before", "disasm-after", "disasm-instance"):
            if name not in caps:
                out.fail(name, f"the lab run failed: {why} (build/doc/captures/lab-output{out.suffix}.log)")
    if not kernel:
        return 1
    hdr = f"source=lab kernel={kernel} date={today()}"
    for name in ("session", "log", "trace"):
        if name in caps:
            out.write(name, hdr, caps[name])
    syms = load_symbols(caps.get("symbols", ""))
    extra, sites = {}, set()
    for m in re.finditer(r"function (\S+) at 0x([0-9a-f]+), \d+ bytes.*instance at 0x([0-9a-f]+), (\d+) bytes",
                         caps.get("log", "")):
        if int(m.group(4)):
            extra[int(m.group(3), 16)] = f"{m.group(1)}' (instance)"
    for name in ("before", "after", "instance"):
        if name not in caps:
            continue
        head, _, hexbytes = caps[name].partition("\n")
        m = re.match(r"addr 0x([0-9a-f]+) size (\d+)", head)
        addr = int(m.group(1), 16)
        if name == "instance":
            # the sites are what "mov $imm32, %rdi" loads before each call
            for s in re.finditer(r"48 c7 c7 ((?:[0-9a-f]{2} ){4})", " ".join(hexbytes.split()) + " "):
                v = int("".join(reversed(s.group(1).split())), 16)
                sites.add(v | 0xffffffff00000000 if v & 0x80000000 else v)
        out.write(name, hdr + f" addr={addr:#x} size={m.group(2)}", hexbytes)
        what = {"before": f"{FUNC} at {addr:#x}, the target loaded alone",
                "after": f"{FUNC} at {addr:#x}, patched",
                "instance": f"{FUNC}' at {addr:#x}, the instance"}[name]
        out.write("disasm-" + name, hdr + f" addr={addr:#x} tool=objdump",
                  what + "\n" + disassemble(hexbytes, addr, syms, extra, sites))
    return 0 if p.returncode == 0 else 1


def lab_big_captures(out, top):
    """amdgpu, partly instrumented: doc/capture-big.sh in a 2 GiB guest."""
    cmd = [os.path.join(top, "tests/vm/run"), "--timeout", "400", "--mem", "2048",
           "--modules", "amdgpu", os.path.join(top, "doc/capture-big.sh")]
    print("capture: " + " ".join(cmd), file=sys.stderr)
    p = subprocess.run(cmd, capture_output=True, text=True)
    with open(os.path.join(out.dir, "lab-big-output.log"), "w") as f:
        f.write(p.stdout + "\n--- stderr\n" + p.stderr + f"\n--- exit status {p.returncode}\n")
    caps, failed = guest_sections(p.stdout)
    why = failed or (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
    kernel = caps.get("kernel", "").strip()
    for name in BIG_CAPTURES:
        if p.returncode != 0 or not kernel or name not in caps:
            out.fail(name, f"the lab run failed: {why} (build/doc/captures/lab-big-output.log)")
        else:
            out.write(name, f"source=lab kernel={kernel} date={today()} target=amdgpu", caps[name])
    return 0 if p.returncode == 0 else 1


FAT_CAPTURES = ("fat-session", "fat-trace")


def lab_fat_captures(out, top):
    """make demo's second scenario (tests/demo.sh, from "### 2. fat" on):
    fat under a vfat image, recording switched on around one write(2).
    fat-session: its commands; fat-trace: the output it printed."""
    cmd = [os.path.join(top, "tests/vm/run"), "--timeout", "300",
           "--modules", "vfat loop nls_cp437 nls_ascii", os.path.join(top, "tests/demo.sh")]
    print("capture: " + " ".join(cmd), file=sys.stderr)
    p = subprocess.run(cmd, capture_output=True, text=True)
    with open(os.path.join(out.dir, "lab-fat-output.log"), "w") as f:
        f.write(p.stdout + "\n--- stderr\n" + p.stderr + f"\n--- exit status {p.returncode}\n")
    # the guest's lines, without the kernel's console messages
    lines = [l for l in p.stdout.splitlines()
             if not re.match(r"\[\s*\d+\.\d+\] ", l) and not l.startswith("=== lab")]
    start = next((i for i, l in enumerate(lines) if l.startswith("### 2. fat")), None)
    cat = "### cat /sys/kernel/debug/kedr_sample/output"
    try:
        with open(os.path.join(top, "build", "lab", os.environ.get("LAB_KERNEL") or "6.1",
                               "kernel-version")) as f:
            kernel = f.read().strip()
    except OSError:
        kernel = ""
    if p.returncode != 0 or start is None or cat not in lines[start:] or not kernel:
        why = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
        for name in FAT_CAPTURES:
            out.fail(name, f"the lab run of tests/demo.sh failed: {why} (build/doc/captures/lab-fat-output.log)")
        return 1
    part = lines[start + 1:]
    at = part.index(cat)
    session = [l.replace("### ", "# ", 1) for l in part[:at + 1]]
    trace = []
    for l in part[at + 1:]:
        if l.startswith("### "):
            break
        trace.append(l)
    # the walkthrough names functions of the write path in its prose: each
    # must have an entry in this trace, or the prose has gone stale
    with open(os.path.join(top, "doc", "walkthrough.md")) as f:
        page = f.read()
    sec = page[page.index("Recording only what you want"):]
    sec = sec[:sec.index("\n# ")]
    named = set(re.findall(r"`(fat\w*)\(\)`", sec))
    seen = set(re.findall(r'entry: addr=\S+ \("(\w+)"\)', "\n".join(trace)))
    if not named or named - seen:
        for name in FAT_CAPTURES:
            out.fail(name, "the walkthrough's prose names " + (", ".join(sorted(named - seen)) or "no function")
                     + " that the trace does not enter: fix the prose of 'Recording only what you want to see'")
        return 1
    hdr = f"source=lab kernel={kernel} date={today()} target=fat script=tests/demo.sh"
    out.write("fat-session", hdr, "\n".join(session))
    out.write("fat-trace", hdr, "\n".join(trace))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", default=os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
    ap.add_argument("--out")
    ap.add_argument("--host", action="store_true")
    ap.add_argument("--lab", action="store_true")
    ap.add_argument("--kernel", help="the lab kernel series (LAB_KERNEL); names get -SERIES")
    a = ap.parse_args()
    if a.kernel:
        os.environ["LAB_KERNEL"] = a.kernel    # for tests/vm/run and target_ko()
    out = Out(a.top, a.out or os.path.join(a.top, "build/doc/captures"),
              "-" + a.kernel if a.kernel else "")
    status = 0
    if a.host:
        host_captures(out, a.top)
    if a.lab:
        status = lab_captures(out, a.top)
        if not a.kernel:    # amdgpu's and fat's captures: the default kernel's only
            status |= lab_big_captures(out, a.top)
            status |= lab_fat_captures(out, a.top)
    return status


if __name__ == "__main__":
    sys.exit(main())
