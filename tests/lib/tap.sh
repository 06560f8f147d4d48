# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/lib/tap.sh: TAP helpers for the host side of the tests (bash).
# A test is tests/NN-name.t, run by prove; it sources this file, makes
# assertions, runs guest scripts in the lab and ends with done_testing.
# See tests/README.md for a complete example.
#
# Plain assertions (print "ok N - DESC" / "not ok N - DESC"; return 0 when
# the assertion held, 1 otherwise):
#   ok DESC CMD [ARG...]        ok if CMD succeeds (its output is kept)
#   is GOT WANT DESC            ok if the strings are equal
#   isnt GOT UNWANTED DESC      ok if they differ
#   like GOT ERE DESC           ok if GOT matches the extended regex ERE
#   unlike GOT ERE DESC         ok if it does not
#   pass DESC / fail DESC       unconditional ok / not ok
#   skip DESC REASON            ok with a SKIP directive
#   diag MSG...                 "# MSG" on stderr (prove always shows it)
#   note MSG...                 "# MSG" on stdout (prove -v shows it)
#   done_testing                print the plan 1..N and exit (status: the
#                               number of failed tests, at most 254)
#
# The lab:
#   lab_tap [RUN-OPTION...] SCRIPT
#       run SCRIPT in the lab (tests/vm/run, same options), pass its TAP
#       lines (from /lab/tap.sh) through, numbered, show the rest of the
#       guest output as notes, then add the test "lab run clean (exit 0, no
#       oops/WARNING): NAME".  Returns 0 when the run was clean.
#   lab_exec [RUN-OPTION...] SCRIPT
#       run SCRIPT in the lab without any TAP output; sets LAB_STATUS (the
#       exit status of tests/vm/run), LAB_OUT and LAB_ERR (files holding its
#       stdout and stderr) and LAB_SECONDS (wall time).  For tests of
#       failures.
#   lab_script [NAME] <<'EOF' ... EOF
#       write the guest script on stdin to a temporary file NAME (default
#       script-K.sh) and print its path.
#   lab_series    the kernel series the lab boots: $LAB_KERNEL (6.1, the
#                 default, 6.12 or 6.1-rt)
#   lab_kver      the kernel version the lab boots (e.g. 6.1.0-57-amd64)
#   lab_moddir    its module directory on the host, /lib/modules/<ver>
#   lab_corpus    its Debian modules as plain .ko files: "$(lab_moddir)/kernel",
#                 or a decompressed copy of it in build/corpus/<ver>/kernel
#                 when they are compressed (6.12's are .ko.xz)
#   engine_ready  K = lab_corpus, ENGINE = the user-space engine, built:
#                 each asserted (a test); without them the test ends there,
#                 failed, saying why (an oracle that cannot run)
#   lab_modbuild  where the project's modules are built for it (make
#                 lab-modules): build/mod/<ver>, e.g.
#                 "$(lab_modbuild)/sample_target/kedr_mech_target.ko"
#
# Variables: TAP_TOP (the repository top), TAP_TMP (a temporary directory,
# removed at exit: this file sets an EXIT trap), TAP_LOG (the log of this
# test, build/test-logs/<series>/<test>.log: every lab run's full output is
# there).

TAP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAP_NAME=$(basename "$0" .t)
TAP_LOG=$TAP_TOP/build/test-logs/${LAB_KERNEL:-6.1}/$TAP_NAME.log
mkdir -p "${TAP_LOG%/*}"
: >"$TAP_LOG"
TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tap-$TAP_NAME.XXXXXX")
trap 'rm -rf "$TAP_TMP"' EXIT

_tap_n=0
_tap_failed=0
_tap_scripts=0

# _tap_line "ok"|"not ok" REST: print one numbered result line.
_tap_line() {
	_tap_n=$((_tap_n + 1))
	if [ -n "$2" ]; then
		echo "$1 $_tap_n - $2"
	else
		echo "$1 $_tap_n"
	fi
	echo "$1 $_tap_n - $2" >>"$TAP_LOG"
	if [ "$1" = "not ok" ]; then
		case $2 in
		*'# TODO'* | *'# todo'*) ;;
		*) _tap_failed=$((_tap_failed + 1)) ;;
		esac
	fi
}

# _tap_result STATUS DESC
_tap_result() {
	local desc=${2//#/\\#}

	if [ "$1" -eq 0 ]; then
		_tap_line "ok" "$desc"
		return 0
	fi
	_tap_line "not ok" "$desc"
	return 1
}

diag() {
	printf '%s\n' "$*" | sed 's/^/# /' | tee -a "$TAP_LOG" >&2
}

note() {
	printf '%s\n' "$*" | sed 's/^/# /' | tee -a "$TAP_LOG"
}

ok() {
	local desc=$1

	shift
	"$@"
	_tap_result $? "$desc"
}

is() {
	[ "$1" = "$2" ]
	_tap_result $? "$3" && return 0
	diag "     got: '$1'"
	diag "expected: '$2'"
	return 1
}

isnt() {
	[ "$1" != "$2" ]
	_tap_result $? "$3" && return 0
	diag "     got: '$1'"
	diag "expected anything else"
	return 1
}

like() {
	printf '%s\n' "$1" | grep -Eq -- "$2"
	_tap_result $? "$3" && return 0
	diag "                  '$1'"
	diag "    doesn't match '$2'"
	return 1
}

unlike() {
	! printf '%s\n' "$1" | grep -Eq -- "$2"
	_tap_result $? "$3" && return 0
	diag "                  '$1'"
	diag "          matches '$2'"
	return 1
}

pass() {
	_tap_result 0 "$1"
}

fail() {
	_tap_result 1 "$1"
}

skip() {
	_tap_line "ok" "${1//#/\\#} # SKIP ${2:-}"
}

done_testing() {
	echo "1..$_tap_n"
	echo "1..$_tap_n ($_tap_failed failed)" >>"$TAP_LOG"
	[ "$_tap_failed" -le 254 ] || _tap_failed=254
	exit "$_tap_failed"
}

lab_series() {
	echo "${LAB_KERNEL:-6.1}"
}

lab_kver() {
	local f
	f=$TAP_TOP/build/lab/$(lab_series)/kernel-version

	[ -s "$f" ] || "$TAP_TOP/tests/vm/setup" >&2
	cat "$f"
}

lab_moddir() {
	echo "/lib/modules/$(lab_kver)"
}

lab_corpus() {
	"$TAP_TOP/tests/vm/corpus"
}

# shellcheck disable=SC2317 # called through ok
_build_engine() {
	make -s -C "$TAP_TOP" -f tests/engine.mk engine-tools >"$TAP_TMP/build" 2>&1
}

engine_ready() {
	K=$(lab_corpus 2>"$TAP_TMP/corpus")
	ok "the corpus: the lab kernel's modules ($(lab_kver))" test -n "$K" -a -d "$K" || {
		sed 's/^/# /' "$TAP_TMP/corpus" >&2
		done_testing
	}
	ok "the engine builds (make -f tests/engine.mk engine-tools)" _build_engine || {
		tail -20 "$TAP_TMP/build" | sed 's/^/# /' >&2
		done_testing
	}
	# shellcheck disable=SC2034 # for the test that called it
	ENGINE=$TAP_TOP/build/engine/engine
}

lab_modbuild() {
	echo "$TAP_TOP/build/mod/$(lab_kver)"
}

lab_script() {
	local path

	_tap_scripts=$((_tap_scripts + 1))
	path=$TAP_TMP/${1:-script-$_tap_scripts.sh}
	cat >"$path"
	echo "$path"
}

lab_exec() {
	local start=$SECONDS

	_tap_scripts=$((_tap_scripts + 1))
	LAB_OUT=$TAP_TMP/lab-$_tap_scripts.out
	LAB_ERR=$TAP_TMP/lab-$_tap_scripts.err
	echo "=== lab_exec tests/vm/run $*" >>"$TAP_LOG"
	LAB_STATUS=0
	"$TAP_TOP/tests/vm/run" "$@" >"$LAB_OUT" 2>"$LAB_ERR" || LAB_STATUS=$?
	LAB_SECONDS=$((SECONDS - start))
	{
		cat "$LAB_OUT"
		sed 's/^/stderr: /' "$LAB_ERR"
		echo "=== exit status $LAB_STATUS after $LAB_SECONDS s"
	} >>"$TAP_LOG"
	return 0
}

# Turn a guest's output into TAP: result lines numbered, "# " lines kept
# (on stderr after a failure, so that prove shows why), the rest as notes.
_tap_convert() {
	local line after_failure='' re='^(not ok|ok)([[:space:]]+[0-9]+)?([[:space:]]+-)?([[:space:]]+(.*))?$'

	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			_tap_line "${BASH_REMATCH[1]}" "${BASH_REMATCH[5]}"
			after_failure=
			[ "${BASH_REMATCH[1]}" = "not ok" ] && after_failure=1
			continue
		fi
		case $line in
		'') ;;
		'#'*)
			if [ -n "$after_failure" ]; then
				echo "$line" >&2
			else
				echo "$line"
			fi
			;;
		'Bail out!'*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done
}

lab_tap() {
	local script=${!#} status start=$SECONDS out err

	_tap_scripts=$((_tap_scripts + 1))
	out=$TAP_TMP/lab-$_tap_scripts.out
	err=$TAP_TMP/lab-$_tap_scripts.err
	echo "=== lab_tap tests/vm/run $*" >>"$TAP_LOG"
	_tap_convert < <(
		{
			"$TAP_TOP/tests/vm/run" "$@" 2>"$err"
			echo $? >"$TAP_TMP/status"
		} | tee "$out"
	)
	status=$(cat "$TAP_TMP/status")
	{
		cat "$out"
		sed 's/^/stderr: /' "$err"
		echo "=== exit status $status after $((SECONDS - start)) s"
	} >>"$TAP_LOG"
	# Whatever the lab said (warnings included) is worth seeing.
	[ ! -s "$err" ] || sed 's/^/# /' "$err" >&2

	[ "$status" -eq 0 ]
	_tap_result $? "lab run clean (exit 0, no oops/WARNING): ${script##*/}" && return 0
	diag "tests/vm/run exited with status $status$(_lab_status_meaning "$status")"
	diag "last lines of the guest output:"
	grep -v '^$' "$out" | tail -n 15 | sed 's/^/#   /' >&2
	diag "full log: ${TAP_LOG#"$TAP_TOP"/}"
	return 1
}

_lab_status_meaning() {
	case $1 in
	124) echo " (timeout)" ;;
	125) echo " (kernel problem)" ;;
	126) echo " (lab failure)" ;;
	*) echo " (the script's exit status)" ;;
	esac
}
