#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/41-sweep-sample.t: a fixed, small part of the sweep (tests/sweep/run,
# `make sweep`): real Debian modules of every kind the sweep covers, each
# loaded with kedr_sample targeting it, exercised where that is cheap
# (crypto self-tests at registration, template instances through tcrypt,
# data written and read back on block devices and file systems, the
# self-checking test_* modules), unloaded.  Oracles: the modules' own
# symbol tables (readelf), the kernel's crypto self-tests and the test_*
# modules' own checks, data compared after a round trip, and no kernel
# problem in the log.  One boot, about a minute and a half.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

sample=(
	vfat msdos configfs overlay isofs	# fs
	test_static_keys test_user_copy ts_kmp	# lib
	ctr gcm xts sha512_generic des_generic	# crypto
	cast_common				# crypto, data tables only: no code
	crc32c-intel sha256-ssse3		# arch/x86/crypto
	brd loop zram null_blk			# drivers/block
)
# A module of the sample that the lab kernel builds in, or does not build,
# is replaced by one of its kind: 6.12 builds ctr and sha512 in, and its
# test_user_copy became a KUnit test (lib/usercopy_kunit) Debian does not
# build.  One that has no replacement fails.
declare -A instead=([test_user_copy]=test_bpf [ctr]=lrw [sha512_generic]=wp512)
moddir=$(lab_corpus)
for i in "${!sample[@]}"; do
	m=${sample[i]}
	[ -z "$(find "$moddir" -name "$m.ko" -print -quit)" ] || continue
	why="not built"
	! grep -q "/$m\.ko$" "$(lab_moddir)/modules.builtin" || why="built in"
	ok "$m is not a module of $(lab_kver) ($why): ${instead[$m]:-no replacement} instead" \
		test -n "$(find "$moddir" -name "${instead[$m]:-none}.ko" -print -quit)"
	sample[i]=${instead[$m]:-$m}
done
out=$TAP_TMP/sweep
"$TAP_TOP/tests/sweep/run" --quiet --out "$out" "${sample[@]}" >"$TAP_TMP/summary" 2>&1
status=$?
sed 's/^/# /' "$TAP_TMP/summary"
cat "$TAP_TMP/summary" "$out"/boot-*.log >>"$TAP_LOG" 2>/dev/null
is "$status" 0 "tests/sweep/run passes (no kernel problem of kedr_sample's, no module loading only without it)"
ok "it wrote the report" test -s "$out/report.txt"

# field MODULE KEY: one value from results.json.
field() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]]
print("" if v is None else json.dumps(v) if isinstance(v, (list, tuple)) else v)' \
		"$out/results.json" "$1" "$2"
}

total=0 instrumented=0 trampolines=0
for m in "${sample[@]}"; do
	ko=$(find "$moddir" -name "$m.ko" | head -n 1)
	# Places (section:value) of the functions in the module's symbol table;
	# kedr_sample folds aliases such as init_module, and skips the __pfx_
	# padding (6.12).
	want=$(readelf -sW "$ko" | awk '$4 == "FUNC" && $3 > 0 && $8 !~ /^__pfx_/ { print $7 ":" $2 }' |
		sort -u | wc -l)
	is "$(field "$m" load)" ok "$m loaded with kedr_sample targeting it"
	is "$(field "$m" funcs)" "$want" "$m: kedr_sample saw its $want functions (readelf)"
	pad=$(readelf -sW "$ko" | awk '$4 == "FUNC" && $8 ~ /^__pfx_/' | wc -l)
	is "$(field "$m" padding)" "$pad" "$m: its $pad __pfx_ padding symbols counted apart (readelf)"
	n=$(field "$m" instrumented)
	left=$(field "$m" left | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	is "$((n + left))" "$want" "$m: $n instrumented + $left left alone"
	tr=$(field "$m" left | python3 -c 'import json, sys
print(sum(1 for f in json.load(sys.stdin) if f[2] == "a static call trampoline"))')
	ex=$(field "$m" exercise)
	case $ex in
	'') ;;
	*'"ok"'*) pass "$m: exercise: $(echo "$ex" | sed 's/^\["ok", "//; s/"\]$//')" ;;
	*) fail "$m: exercise failed: $ex" ;;
	esac
	is "$(field "$m" problems)$(field "$m" death)" "[]" "$m: no kernel problem"
	total=$((total + want))
	instrumented=$((instrumented + n))
	trampolines=$((trampolines + tr))
done
ok "at least 99% of their functions instrumented, static call trampolines aside ($instrumented of $((total - trampolines)); $trampolines trampolines)" \
	test $((instrumented * 100)) -ge $(((total - trampolines) * 99))

done_testing
