#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/01-lab.t: the lab itself (tests/vm/run, tests/lib/*) does what
# tests/README.md promises.  Six guest runs (seven boots), about a minute and a half.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

kos=$(find "$(lab_modbuild)" -name '*.ko' -type f -printf '%f\n' | sort)
like "$kos" '^lab_selftest\.ko$' "lab_selftest.ko is built (make lab-modules)" ||
	diag "the kernel-problem tests below will fail without it"
printf '%s\n' "$kos" >"$TAP_TMP/expected-kos"
echo "greetings from the host" >"$TAP_TMP/hello.txt"
[ -f "$TAP_TOP/kedr_get_sections.sh" ] && touch "$TAP_TMP/expect-sections"

# ---- 1. a clean run: mounts, files, modules, the guest TAP helpers -------
guest=$(lab_script environment.sh <<'GUEST'
. /lab/tap.sh
m=$(cat /proc/mounts)
like "$m" '^proc /proc proc ' "/proc is mounted"
like "$m" '^sysfs /sys sysfs ' "/sys is mounted"
like "$m" '^devtmpfs /dev devtmpfs ' "/dev is a devtmpfs"
ok "/dev/null is a character device" test -c /dev/null
like "$m" '^debugfs /sys/kernel/debug debugfs ' "debugfs is mounted on /sys/kernel/debug"
ok "debugfs has content" test -d /sys/kernel/debug/bdi
is "$(pwd)" "/lab" "the script runs in /lab"
is "$(id -u)" "0" "the script runs as root"
is "$(uname -r)" "$(cat /lab/files/kver)" "the guest runs the lab kernel"
is "$(cat /lab/files/hello.txt)" "greetings from the host" "--file arrives in /lab/files/"
while read -r ko; do
	[ -n "$ko" ] && ok "project module $ko is in /lab" test -f "/lab/$ko"
done </lab/files/expected-kos
if [ -f /lab/files/expect-sections ]; then
	ok "kedr_get_sections.sh is in /lab" test -x /lab/kedr_get_sections.sh
fi
ok "/sbin/modprobe exists" test -x /sbin/modprobe
is "$(cat /proc/sys/kernel/modprobe)" "/sbin/modprobe" "the kernel calls /sbin/modprobe"
for applet in insmod rmmod lsmod dmesg grep sed awk; do
	ok "busybox applet $applet is in PATH" test -n "$(command -v $applet)"
done
unlike "$(cat /proc/modules)" '^(vfat|fat|msdos) ' "vfat, msdos and fat are not loaded at boot"
mkdir -p /mnt
mount -t msdos none /mnt 2>/dev/null
like "$(cat /proc/modules)" '^msdos ' "request_module works (mount -t msdos loaded msdos)"
ok "modprobe vfat works (--modules \"vfat msdos\")" modprobe vfat
like "$(cat /proc/modules)" '^vfat ' "vfat is loaded"
like "$(cat /proc/modules)" '^fat ' "fat, its dependency, is loaded"
ok "insmod lab_selftest.ko action=none" insmod /lab/lab_selftest.ko action=none
ok "rmmod lab_selftest" rmmod lab_selftest
like "$(ok inner false)" '^not ok - inner$' "guest ok reports a failing command"
like "$(is 1 2 inner)" '^not ok - inner' "guest is reports a difference"
like "$(like abc '^b' inner)" '^not ok - inner' "guest like reports a mismatch"
# Neither counts: both were in command substitutions.
is "$tap_failed" "0" "no guest assertion failed"
GUEST
)
lab_kver >"$TAP_TMP/kver"
args=(--modules "vfat msdos" --file "$TAP_TMP/hello.txt" --file "$TAP_TMP/kver"
	--file "$TAP_TMP/expected-kos")
[ -f "$TAP_TMP/expect-sections" ] && args+=(--file "$TAP_TMP/expect-sections")
lab_tap "${args[@]}" "$guest"

# ---- the host side of lab_tap: guest TAP lines become numbered TAP -------
printf '%s\n' "ok - first" "not ok 7 - second" "#   why" "boot noise" \
	"ok 3 - third # SKIP no reason" "okay, not a result" >"$TAP_TMP/guest-out"
converted=$( (
	_tap_n=10 _tap_failed=0 TAP_LOG=/dev/null
	_tap_convert <"$TAP_TMP/guest-out" 2>&1
	echo "n=$_tap_n failed=$_tap_failed"
))
is "$converted" "$(printf '%s\n' "ok 11 - first" "not ok 12 - second" "#   why" \
	"# boot noise" "ok 13 - third # SKIP no reason" "# okay, not a result" \
	"n=13 failed=1")" "lab_tap numbers guest results, counts failures, comments the rest"

# ---- 2. the exit status passes through; look-alike text is no problem ----
guest=$(lab_script status.sh <<'GUEST'
echo "WARNING: CPU: 0 PID: 1 at this is the script talking"
echo "BUG: kernel NULL pointer dereference (not really)"
exit 3
GUEST
)
lab_exec "$guest"
is "$LAB_STATUS" 3 "the script's exit status (3) is tests/vm/run's"
is "$(grep -v '^lab: warning: ' "$LAB_ERR")" "" "and nothing is said on stderr (but warnings)"

# ---- 3. a WARNING in the guest kernel fails the run ------------------------
guest=$(lab_script warn.sh <<'GUEST'
insmod /lab/lab_selftest.ko action=warn
echo "insmod status $?"
GUEST
)
lab_exec "$guest"
is "$LAB_STATUS" 125 "a kernel WARNING makes tests/vm/run exit 125"
like "$(grep -v '^lab: warning: ' "$LAB_ERR")" '^lab: guest kernel logged: WARNING: CPU: [0-9]+ PID: [0-9]+ at .*lab_selftest' \
	"and say so on stderr, naming the WARNING"
is "$(grep -vc '^lab: warning: ' "$LAB_ERR")" 1 "in one line"
like "$(cat "$LAB_OUT")" 'insmod status 0' "the script went on after the WARNING"

# ---- 4. an oops fails the run, fast ---------------------------------------
guest=$(lab_script oops.sh <<'GUEST'
insmod /lab/lab_selftest.ko action=oops
echo "still alive"
sleep 100
GUEST
)
lab_exec --timeout 90 "$guest"
is "$LAB_STATUS" 125 "an oops makes tests/vm/run exit 125"
like "$(grep -v '^lab: warning: ' "$LAB_ERR")" '^lab: guest kernel logged: BUG: kernel NULL pointer dereference' \
	"and say so on stderr, naming the oops"
unlike "$(cat "$LAB_OUT")" 'still alive' "the oops ended the guest (oops=panic)"
ok "before the timeout ($LAB_SECONDS s < 90 s)" test "$LAB_SECONDS" -lt 90

# ---- 4b. a kernel that dies before the script starts is booted once more --
# (nothing of the project is loaded then; see tests/vm/run).  A boot that
# always dies: no /init to run, so the kernel looks for a root file system
guest=$(lab_script never.sh <<'GUEST'
echo "the script ran"
GUEST
)
LAB_KERNEL_ARGS=rdinit=/nonexistent lab_exec --timeout 120 "$guest"
is "$LAB_STATUS" 125 "a kernel panic before the script makes tests/vm/run exit 125"
like "$(cat "$LAB_ERR")" "^lab: warning: the guest kernel logged 'Kernel panic - not syncing: VFS: Unable to mount root fs.*' before the script started; booting once more$" \
	"after saying on stderr that it boots once more"
is "$(grep -c 'Kernel panic - not syncing' "$LAB_OUT")" 2 "the guest was booted twice, no more"
like "$(grep -v '^lab: warning: ' "$LAB_ERR")" '^lab: guest kernel logged: Kernel panic - not syncing: VFS' \
	"the second boot's problem is named on stderr"
unlike "$(cat "$LAB_OUT")" 'the script ran' "the script never ran"
# how long a boot takes now, on this machine as loaded as it is: the timeout
# below leaves the guest twice that to reach its script
boot=$(((LAB_SECONDS + 1) / 2))

# ---- 5. a timeout kills the guest ------------------------------------------
guest=$(lab_script sleep.sh <<'GUEST'
echo "going to sleep"
sleep 300
GUEST
)
T=$((2 * boot + 5))
[ "$T" -ge 15 ] || T=15
mkdir "$TAP_TMP/runtmp"
TMPDIR=$TAP_TMP/runtmp lab_exec --timeout $T "$guest"
is "$LAB_STATUS" 124 "a script outliving --timeout $T makes tests/vm/run exit 124 (a boot took ${boot} s)"
is "$(grep -v '^lab: warning: ' "$LAB_ERR")" "lab: timeout after $T s, guest killed" "and say so on stderr"
like "$(cat "$LAB_OUT")" 'going to sleep' "the guest output up to then was printed"
ok "after about $T s ($LAB_SECONDS s)" test "$LAB_SECONDS" -ge $T -a "$LAB_SECONDS" -lt $((T + 25))
left=
for f in /proc/[0-9]*/cmdline; do
	case $({ tr '\0' ' ' <"$f"; } 2>/dev/null) in
	*"$TAP_TMP/runtmp"*) left="$left ${f#/proc/}" ;;
	esac
done
is "$left" "" "no process (qemu) of that run is left"
is "$(ls -A "$TAP_TMP/runtmp")" "" "its temporary directory is removed"

done_testing
