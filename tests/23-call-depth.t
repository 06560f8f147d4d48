#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/23-call-depth.t: call depth tracking (retbleed=stuff, Linux 6.2 and
# later). Before COMING the loader rewrites the calls the target lists in
# .call_sites so that they enter an accounting thunk written into the
# callee's 16 bytes of padding (the __pfx_ symbols); an instance copies the
# rewritten call, and must reach the same thunk. Two boots with nokaslr
# (the kernel's own addresses are then the same in both): one plain, one
# with a CPU model the kernel finds affected by Retbleed (QEMU's
# Skylake-Client) and retbleed=stuff. The oracles: the kernel's messages,
# the call of cfake_open read from /proc/kcore (the callee's start in the
# plain boot; up to 16 bytes before it with stuffing, in the original and
# in the instance alike), and the cfake scenario's totals, equal in both.
# On a kernel built without call depth tracking (6.1) one test says so.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

config=/boot/config-$(lab_kver)
if ! grep -qE '^CONFIG_(MITIGATION_)?CALL_DEPTH_TRACKING=y$' "$config"; then
	ok "$(lab_kver) has no call depth tracking (not in its config): nothing to test" \
		test -f "$config"
	done_testing
fi
ok "$(lab_kver) is built with call depth tracking" true
make -s -C "$TAP_TOP" -f tests/guest.mk guest-tools >&2

guest=$(lab_script call-depth.sh <<'GUEST'
cd /lab || exit 1
kr=/lab/files/kcore_read
dmesg | grep -E 'RETBleed:|callthunks:' | sed 's/^\[ *[0-9.]*\] /KMSG /'
# the original as the loader left it: the target alone
insmod kedr_sample_target.ko || exit 1
orig=$(awk '$3 == "cfake_open" && $4 == "[kedr_sample_target]" { print $1 }' /proc/kallsyms)
echo "ORIG $orig $(cat /lab/files/size) $($kr $orig $(cat /lab/files/size) | tr '\n' ' ')"
rmmod kedr_sample_target || exit 1
insmod kedr_sample.ko target_name=kedr_sample_target dyndbg=+p || exit 1
insmod kedr_sample_target.ko || exit 1
line=$(dmesg | grep '\[sample\] function cfake_open at ')
inst=$(echo "$line" | sed -n 's/.*instance at 0x\([0-9a-f]*\), \([0-9]*\) bytes.*/\1 \2/p')
echo "INST $inst $($kr $inst | tr '\n' ' ')"
awk '$3 == "kedr_event_stub" || $3 == "kedr_fast_stub" { print "STUB", $1 }' /proc/kallsyms
echo hello > /dev/cfake0
dd if=/dev/cfake0 bs=5 count=1 2>/dev/null >/dev/null
rmmod kedr_sample_target || exit 1
dmesg | sed -n 's/.*\[sample\] target "kedr_sample_target" is going: /GOING /p'
echo "TOTALS $(head -n 1 /sys/kernel/debug/kedr_sample/output)"
rmmod kedr_sample
GUEST
)

# calls OUT WHAT: the targets of the calls in the bytes of line WHAT (ORIG
# or INST) of a guest's output, one a line, in hex
calls() {
	python3 - "$1" "$2" <<'PY'
import re, subprocess, sys, tempfile
line = [l for l in open(sys.argv[1]) if l.startswith(sys.argv[2] + " ")][0].split()
addr, data = int(line[1], 16), bytes(int(x, 16) for x in line[3:])
with tempfile.NamedTemporaryFile() as f:
    f.write(data)
    f.flush()
    dis = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64",
                          "--adjust-vma=%#x" % addr, f.name],
                         capture_output=True, text=True, check=True).stdout
for m in re.finditer(r"\tcall\s+(0x[0-9a-f]+)", dis):
    print(m.group(1))
PY
}

readelf -sW "$(lab_modbuild)/sample_target/kedr_sample_target.ko" |
	awk '$8 == "cfake_open" { print $3 }' >"$TAP_TMP/size"
kcore=(--file "$TAP_TOP/build/guest/kcore_read" --file "$TAP_TMP/size")
LAB_KERNEL_ARGS="nokaslr" lab_exec "${kcore[@]}" "$guest"
is "$LAB_STATUS" 0 "plain boot: the cfake scenario ran instrumented, cleanly"
cp "$LAB_OUT" "$TAP_TMP/plain.out"
LAB_QEMU_CPU=Skylake-Client LAB_KERNEL_ARGS="nokaslr retbleed=stuff spectre_v2=retpoline" \
	lab_exec "${kcore[@]}" "$guest"
is "$LAB_STATUS" 0 "Skylake-Client, retbleed=stuff: the cfake scenario ran instrumented, cleanly" ||
	sed 's/^/# /' "$LAB_ERR" | tail -5
cp "$LAB_OUT" "$TAP_TMP/stuff.out"
sed -n 's/^KMSG /# /p' "$TAP_TMP/stuff.out"
like "$(cat "$TAP_TMP/stuff.out")" 'KMSG RETBleed: Mitigation: Stuffing' \
	"the kernel stuffs the return stack buffer (RETBleed: Mitigation: Stuffing)"
like "$(cat "$TAP_TMP/stuff.out")" 'KMSG callthunks: Setting up call depth tracking' \
	"and set up call depth tracking"
unlike "$(cat "$TAP_TMP/plain.out")" 'KMSG callthunks' "the plain boot did not"

plain=$(calls "$TAP_TMP/plain.out" ORIG)
stuff=$(calls "$TAP_TMP/stuff.out" ORIG)
stub=$(sed -n 's/^STUB /0x/p' "$TAP_TMP/stuff.out" | sed 's/^0x0*/0x/')
inst=$(calls "$TAP_TMP/stuff.out" INST | grep -vxF "$stub")
diag "cfake_open calls $plain (plain), $stuff (stuffing); its instance $inst (and the stubs: $(echo $stub))"
is "$(echo "$plain" | grep -c .) $(echo "$stuff" | grep -c .)" "1 1" "cfake_open makes one call, in both boots"
ok "with stuffing it calls 1 to 16 bytes before the callee: the thunk in its padding" \
	test $((plain - stuff)) -ge 1 -a $((plain - stuff)) -le 16
is "$inst" "$stuff" "the instance calls the same thunk (the rewritten call, copied)"
declare -A totals going
for b in plain stuff; do
	totals[$b]=$(sed -n 's/^TOTALS //p' "$TAP_TMP/$b.out")
	going[$b]=$(sed -n 's/^GOING //p' "$TAP_TMP/$b.out" | sed 's/; [0-9]* events stored//')
done
like "${totals[plain]}" '^\[Totals\] reads: [1-9]' "plain boot: ${totals[plain]}"
is "${totals[stuff]}" "${totals[plain]}" "the same totals with stuffing"
is "${going[stuff]}" "${going[plain]}" "the same entries and exits with stuffing (${going[plain]})"
done_testing
