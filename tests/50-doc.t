#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/50-doc.t: the documentation cannot go stale silently. Every function
# of the C sources has a clean kernel-doc comment (scripts/kernel-doc -none
# -Werror); every marker, function and DOC title the walkthrough pulls in
# exists in the sources; the filter fails the build when one is missing
# (tried on temporary copies); a missing capture gives a placeholder, not a
# failure; and the page renders with all its chapters. No lab run: the
# captures are made by `make doc` only. A few seconds.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

top=$TAP_TOP
md=$top/doc/walkthrough.md
# the same list as DOC_SOURCES in doc/doc.mk, in the same order
sources=(kedr_sample.c insn_tables.h)
for f in "$top"/sample_target/*.c "$top"/sample_target/*.S; do
	case $f in *.mod.c) continue ;; esac	# kbuild's, not ours
	[ -e "$f" ] && sources+=("${f#"$top"/}")
done

# ---- kernel-doc ------------------------------------------------------------
kdoc=
for k in "$(lab_moddir)/build/scripts/kernel-doc" /usr/lib/linux-kbuild-*/scripts/kernel-doc; do
	[ -x "$k" ] && { kdoc=$k; break; }
done
if [ -z "$kdoc" ]; then
	fail "scripts/kernel-doc found (linux-kbuild package)"
else
	kdoc_files=(kedr_sample.c)
	for f in "$top"/sample_target/*.c; do
		case $f in *.mod.c) continue ;; esac
		kdoc_files+=("${f#"$top"/}")
	done
	for f in "${kdoc_files[@]}"; do
		if (cd "$top" && "$kdoc" -none -Werror "$f") >"$TAP_TMP/kdoc.out" 2>&1; then
			pass "kernel-doc -none -Werror $f"
		else
			fail "kernel-doc -none -Werror $f"
			sed 's/^/# /' "$TAP_TMP/kdoc.out" | head -20 >&2
		fi
	done
fi

# ---- every reference of the walkthrough exists ------------------------------
# where() FIXED-LINE: the first source file that has the line (spaces trimmed)
where() {
	local f
	for f in "${sources[@]}"; do
		[ -f "$top/$f" ] || continue
		if sed 's/^[[:space:]]*//; s/[[:space:]]*$//' "$top/$f" | grep -qxF -- "$1"; then
			echo "$f"
			return 0
		fi
	done
	return 1
}
count_in() {	# count_in FILE FIXED-LINE
	sed 's/^[[:space:]]*//; s/[[:space:]]*$//' "$top/$1" | grep -cxF -- "$2"
}

mapfile -t snippets < <(grep -o '{snippet=[^ }]*' "$md" | sed 's/{snippet=//' | sort -u)
mapfile -t functions < <(grep -o '{function=[^ }]*' "$md" | sed 's/{function=//' | sort -u)
mapfile -t docs < <(grep -o '{doc="[^"]*"' "$md" | sed 's/{doc="//; s/"$//' | sort -u)
ok "the walkthrough pulls in snippets, functions and DOC essays" \
	test "${#snippets[@]}" -gt 0 -a "${#functions[@]}" -gt 0 -a "${#docs[@]}" -gt 0

for s in "${snippets[@]}"; do
	open="/* [snippet:$s] */" close="/* [/snippet:$s] */"
	if f=$(where "$open"); then
		is "$(count_in "$f" "$open") $(count_in "$f" "$close")" "1 1" \
			"marker [snippet:$s] opens and closes once, in $f"
	else
		fail "marker [snippet:$s] exists in ${sources[*]}"
	fi
done
for fn in "${functions[@]}"; do
	found=
	for f in "${sources[@]}"; do
		[ -f "$top/$f" ] && grep -qE "^[A-Za-z_].*[ *]$fn\(.*[^;]$" "$top/$f" && { found=$f; break; }
	done
	ok "function $fn() is defined in ${found:-none of the sources}" test -n "$found"
done
for d in "${docs[@]}"; do
	f=$(where "* DOC: $d")
	ok "DOC: $d exists in ${f:-none of the sources}" test -n "$f"
done

# ---- the filter fails on what is missing -------------------------------------
render() {	# render MD HTML [MAKE-VARIABLE...]: status of doc/doc.mk doc-render
	make -s -C "$top" -f doc/doc.mk doc-render DOC_MD="$1" DOC_HTML="$2" "${@:3}" \
		>"$TAP_TMP/render.out" 2>&1
}
# shellcheck disable=SC2016 # backticks: a markdown fence, not a command
{ cat "$md"; printf '\n```{snippet=no-such-marker}\n```\n\n```{doc="No such essay"}\n```\n'; } \
	>"$TAP_TMP/bad.md"
render "$TAP_TMP/bad.md" "$TAP_TMP/bad.html"
isnt "$?" 0 "a walkthrough naming a missing marker and DOC title does not render"
like "$(cat "$TAP_TMP/render.out")" 'snippet no-such-marker not found' "the error names the marker"
like "$(cat "$TAP_TMP/render.out")" 'DOC: No such essay not found' "the error names the DOC title"
ok "no page is left behind" test ! -e "$TAP_TMP/bad.html"

# a source whose closing marker is gone (a copy of the sources)
mkdir -p "$TAP_TMP/src/sample_target"
for f in "${sources[@]}"; do
	[ -f "$top/$f" ] && cp "$top/$f" "$TAP_TMP/src/$f"
done
victim=$(where "/* [/snippet:${snippets[0]}] */")
sed -i "\\|\\[/snippet:${snippets[0]}\\]|d" "$TAP_TMP/src/$victim"
render "$md" "$TAP_TMP/bad2.html" DOC_SRC_TOP="$TAP_TMP/src"
isnt "$?" 0 "a source without the closing marker [/snippet:${snippets[0]}] fails the build"
like "$(cat "$TAP_TMP/render.out")" "no closing marker \\[/snippet:${snippets[0]}\\]" \
	"the error says which closing marker is missing"

# ---- captures: a placeholder when missing, never a failure -------------------
mkdir -p "$TAP_TMP/nocaps"
echo "the lab run failed: test reason" >"$TAP_TMP/nocaps/trace.failed"
render "$md" "$TAP_TMP/nocaps.html" DOC_CAPTURES="$TAP_TMP/nocaps"
is "$?" 0 "the page renders without any capture"
like "$(cat "$TAP_TMP/nocaps.html")" 'Not captured yet: run <code>make doc</code>' \
	"a capture not made yet is a placeholder that says how to make it"
like "$(cat "$TAP_TMP/nocaps.html")" 'This capture could not be made: the lab run failed: test reason' \
	"a capture that failed says why (NAME.failed)"

# ---- the real page ------------------------------------------------------------
html=$TAP_TMP/walkthrough.html
make -s -C "$top" -f doc/doc.mk doc-check DOC_HTML="$html" >"$TAP_TMP/check.out" 2>&1
is "$?" 0 "make -f doc/doc.mk doc-check succeeds" || sed 's/^/# /' "$TAP_TMP/check.out" | tail -15 >&2
page=$(cat "$html" 2>/dev/null)
chapters=("The big picture" "Parameters, and reaching what the kernel does not export"
	"Anatomy of an x86-64 instruction" "Decoding one instruction"
	"One function, before and after" "The run-time side: recording an event"
	"Where the instances live" "What loaded code looks like" "The emitter"
	"Patching the original" "Instrumenting the target" "The output"
	"Module init and exit" "Making it fast" "Limitations and exercises")
n=0
for c in "${chapters[@]}"; do
	n=$((n + 1))
	like "$page" "<h1 data-number=\"$n\" id=\"[^\"]*\"><span class=\"header-section-number\">$n</span> $c</h1>" \
		"chapter $n is \"$c\" (the order of kedr_sample.c)"
done
# the line numbers shown are the file's: emit-site starts right after its marker
f=$(where "/* [snippet:emit-site] */")
n=$(grep -nF '/* [snippet:emit-site] */' "$top/$f" | cut -d: -f1)
like "$page" "<pre class=\"sourceCode numberSource c numberLines\"><code class=\"sourceCode c\" style=\"counter-reset: source-line $n;\">" \
	"code excerpts carry the file's line numbers (emit-site: from line $((n + 1)) of $f)"
like "$page" '<img src="data:image/svg\+xml' "the figure is embedded (self-contained page)"
unlike "$page" '\[missing ' "nothing is marked missing"
unlike "$page" '(src|href)="(file:|/|\.\./)' "no reference to a local file"

# ---- "What it costs" names rows of the bench's table, and types no figure ----
# (the figures are doc/bench-results.md's, written by make bench; a ratio or
# a time typed in the prose would go stale when the code changes)
results=$top/doc/bench-results.md
# (the section, at whatever level of heading it sits)
costs=$(awk '/^#+ What it costs/ { p = 1; l = index($0, " "); next }
	p && /^#+ / && index($0, " ") <= l { exit } p' "$md")
ok "the walkthrough has a chapter \"What it costs\" that shows doc/bench-results.md" \
	grep -qF '{results=doc/bench-results.md}' <<<"$costs"
# shellcheck disable=SC2016 # backticks: a markdown fence, not a command
typed=$(sed '/^```/,/^```/d' <<<"$costs" | grep -v 'Gebai' |
	grep -nE '(^|[^0-9A-Za-z_.])[0-9]+(\.[0-9]+)?( ?x|x?( ?ns| ?ms| ?%))([^0-9A-Za-z_]|$)')
is "$typed" "" "\"What it costs\" types no ratio or time (they are the table's)"
mapfile -t rowids < <(tr '\n' ' ' <<<"$costs" | grep -oiE "rows? \"?\((cost|all|[a-z]'?|[a-z]\+[a-z])\)" |
	sed 's/.* "\{0,1\}//' | sort -u)
ok "\"What it costs\" names rows of the table" test "${#rowids[@]}" -ge 6
for r in "${rowids[@]}"; do
	ok "row $r of \"What it costs\" is in doc/bench-results.md" grep -qF "| $r " "$results"
done

done_testing
