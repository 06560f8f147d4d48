# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
#
# /lab/tap.sh: TAP helpers for guest scripts (busybox sh), copied into the
# guest by tests/vm/run.  A guest script does `. /lab/tap.sh` and then
# prints unnumbered TAP lines through these functions; the host
# (tests/lib/tap.sh, lab_tap) numbers them and prints the plan.
#
#   ok DESC CMD [ARG...]       ok if CMD succeeds
#   is GOT WANT DESC           ok if the strings are equal
#   isnt GOT UNWANTED DESC     ok if the strings differ
#   like GOT ERE DESC          ok if GOT matches the extended regex ERE
#   unlike GOT ERE DESC        ok if it does not
#   pass DESC / fail DESC      an unconditional ok / not ok
#   skip DESC REASON           ok with a SKIP directive
#   diag MSG...                MSG as "# " comment lines
#   diag_cmd CMD [ARG...]      run CMD, its output (stdout+stderr) as comments
#
# Each assertion returns 0 when it passed and 1 when it failed, so
# `ok "..." insmod x.ko || exit 1` stops early; beware of `set -e`, which
# stops the script at the first failed assertion.  tap_failed counts the
# failed assertions.  Descriptions must fit on one line.

tap_failed=0

# Print "ok - DESC" or "not ok - DESC" for status $1, DESC being $2.
_tap_result() {
	_tap_desc=$2
	case $_tap_desc in
	*'#'*) _tap_desc=$(printf '%s\n' "$_tap_desc" | sed 's/#/\\#/g') ;;
	esac
	if [ "$1" -eq 0 ]; then
		echo "ok - $_tap_desc"
		return 0
	fi
	echo "not ok - $_tap_desc"
	tap_failed=$((tap_failed + 1))
	return 1
}

diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

diag_cmd() {
	"$@" 2>&1 | sed 's/^/# /'
}

ok() {
	_tap_d=$1
	shift
	"$@"
	_tap_result $? "$_tap_d"
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
	echo "ok - $1 # SKIP ${2:-}"
}
