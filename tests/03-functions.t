#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/03-functions.t: kedr_sample finds the functions of a real module
# (Debian's vfat.ko) the way readelf sees them: every STT_FUNC symbol with a
# size, aliases (same section, address and size) folded into one, the
# __pfx_ padding symbols of 6.12 (16 bytes of nop before each function)
# skipped and counted apart. Oracles kedr_sample did not write: readelf on
# the host, kedr_get_sections.sh and /proc/kallsyms in the guest. One guest
# run.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

ko=$(lab_corpus)/fs/fat/vfat.ko
ok "vfat.ko is in the lab kernel's modules" test -f "$ko" || done_testing

# Expected functions: "name size section offset", aliases folded (a generic
# init_module/cleanup_module name gives way to the real one); the number of
# __pfx_ symbols goes to $TAP_TMP/padding.
python3 - "$ko" "$TAP_TMP/padding" >"$TAP_TMP/expected" <<'PY'
import re, subprocess, sys
ko = sys.argv[1]
out = lambda *a: subprocess.run(a, capture_output=True, text=True, check=True).stdout
sec = dict(re.findall(r'^\s*\[\s*(\d+)\]\s+(\S+)', out('readelf', '-SW', ko), re.M))
funcs = {}
padding = 0
for l in out('readelf', '-sW', ko).splitlines():
    w = l.split()
    if len(w) == 8 and w[3] == 'FUNC' and w[7].startswith('__pfx_'):
        padding += 1
    elif len(w) == 8 and w[3] == 'FUNC' and int(w[2]) > 0:
        key = (w[6], int(w[1], 16), int(w[2]))     # section, offset, size
        generic = w[7] in ('init_module', 'cleanup_module')
        if key not in funcs or (funcs[key][1] and not generic):
            funcs[key] = (w[7], generic)
for (ndx, off, size), (name, _) in sorted(funcs.items(), key=lambda kv: kv[1][0]):
    print(name, size, sec[ndx], off)
open(sys.argv[2], 'w').write('%d\n' % padding)
PY
nexp=$(wc -l <"$TAP_TMP/expected")
ok "readelf lists functions in vfat.ko ($nexp)" test "$nexp" -gt 10

guest=$(lab_script functions.sh <<'GUEST'
insmod /lab/kedr_sample.ko target_name=vfat dyndbg=+p || exit 1
modprobe vfat || exit 2
dmesg | sed -n 's/.*\[sample\] function \([^ ]*\) at 0x\([0-9a-f]*\), \([0-9]*\) bytes.*/FUNC \1 \3 \2/p'
dmesg | sed -n 's/.*\[sample\] \([0-9]*\) functions, .*/COUNT \1/p'
dmesg | sed -n 's/.*\[sample\] \([0-9]*\) __pfx_ symbols skipped.*/PADDING \1/p'
sh /lab/kedr_get_sections.sh vfat | sed 's/^0x/SECT /'
grep '\[vfat\]$' /proc/kallsyms | awk '$2 ~ /^[tT]$/ { print "KSYM", $3, $1 }'
rmmod vfat && rmmod fat && rmmod kedr_sample
GUEST
)
lab_exec --modules vfat "$guest"
is "$LAB_STATUS" 0 "the guest run succeeded (exit 0, no kernel problem)" ||
	sed 's/^/# /' "$LAB_ERR" | tail -5

grep '^FUNC ' "$LAB_OUT" | awk '{ print $2, $3 }' | sort >"$TAP_TMP/got-names"
awk '{ print $1, $2 }' "$TAP_TMP/expected" | sort >"$TAP_TMP/want-names"
is "$(grep '^COUNT ' "$LAB_OUT" | awk '{ print $2 }')" "$nexp" \
	"kedr_sample counts as many functions as readelf shows, aliases folded"
is "$(diff "$TAP_TMP/want-names" "$TAP_TMP/got-names")" "" \
	"the names and sizes are those of readelf"
is "$(grep -c '\.cold ' "$TAP_TMP/got-names")" "$(grep -c '\.cold ' "$TAP_TMP/want-names")" \
	".cold parts are found like the others"
unlike "$(cat "$TAP_TMP/got-names")" '^(init|cleanup)_module ' \
	"init_module and cleanup_module are folded into the real init and exit"
npad=$(cat "$TAP_TMP/padding")
is "$(grep '^PADDING ' "$LAB_OUT" | awk '{ print $2 }')" "$( [ "$npad" -gt 0 ] && echo "$npad")" \
	"the $npad __pfx_ padding symbols (readelf) are skipped and counted apart"
unlike "$(cat "$TAP_TMP/got-names")" '^__pfx_' "no __pfx_ symbol is taken for a function"

# Where each function is: its section's address (kedr_get_sections.sh, from
# /sys/module/vfat/sections) plus its offset there (readelf).
mismatch=$(python3 - "$TAP_TMP/expected" "$LAB_OUT" <<'PY'
import sys
exp = [l.split() for l in open(sys.argv[1])]
sect, func, ksym = {}, {}, {}
for l in open(sys.argv[2]):
    w = l.split()
    if not w:
        continue
    if w[0] == 'SECT' and len(w) == 3:
        sect[w[2]] = int(w[1], 16)
    elif w[0] == 'FUNC' and len(w) == 4:
        func[w[1]] = int(w[3], 16)
    elif w[0] == 'KSYM' and len(w) == 3:
        ksym[w[1]] = int(w[2], 16)
bad = []
checked_ksym = 0
for name, size, sec, off in exp:
    if name not in func or sec not in sect:
        bad.append('%s: missing (section %s)' % (name, sec))
        continue
    if func[name] != sect[sec] + int(off):
        bad.append('%s: %x != %s %x + %x' % (name, func[name], sec, sect[sec], int(off)))
    if name in ksym:
        checked_ksym += 1
        if ksym[name] != func[name]:
            bad.append('%s: kallsyms %x' % (name, ksym[name]))
print('\n'.join(bad) if bad else 'none, %d in kallsyms' % checked_ksym)
PY
)
like "$mismatch" '^none, [1-9][0-9]* in kallsyms$' \
	"every address is section address + offset, and equals /proc/kallsyms" ||
	diag "$mismatch"
done_testing
