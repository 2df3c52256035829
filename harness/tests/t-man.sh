#!/bin/bash
# The man pages: both render without a groff warning, harness-suite(5)
# describes every experiment, setting and metric that 'harness experiments'
# lists (it is generated from the same descriptors), 'make install' puts
# the pages, the completion and the command under a prefix, and the
# completion script offers verbs and suite names; 'run --help' lists every
# shipped suite; the README stays short and its guides in docs/ are
# linked and link to what exists.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
H=$top/build/bin/harness
man=$top/build/man
[ -x "$H" ] || skip_all "harness not built"
command -v groff >/dev/null || skip_all "groff missing (make deps)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

plan 12
for p in harness.1 harness-suite.5; do
	groff -man -ww -z "$man/$p" 2>"$tmp/$p.warn"
	check "$p renders without warnings" $(( $? || $(wc -c <"$tmp/$p.warn") ))
done

groff -man -ww -z "$top/runtime/man/harness-runtime.8" 2>"$tmp/rt.warn"
check "harness-runtime.8 renders without warnings" $(( $? || $(wc -c <"$tmp/rt.warn") ))

groff -man -Tutf8 -P-cbou "$man/harness-suite.5" 2>/dev/null >"$tmp/suite.txt"
"$H" experiments >"$tmp/list.txt"
missing=0
# Every experiment name, setting key and metric name of the listing.
for w in $(sed -n -e 's/^\([a-z][a-z0-9_-]*\)$/\1/p' -e 's/^    \([a-z][a-z0-9_]*\) .*/\1/p' "$tmp/list.txt"); do
	grep -q -- "$w" "$tmp/suite.txt" || { diag "harness-suite(5) does not mention '$w'"; missing=1; }
done
test -s "$tmp/list.txt" && test $missing = 0
check "harness-suite(5) names every experiment, setting and metric of 'harness experiments'" $?

make -s -C "$top/harness" install DESTDIR="$tmp/dest" PREFIX=/usr >/dev/null 2>&1 &&
	test -s "$tmp/dest/usr/share/man/man5/harness-suite.5" && test -s "$tmp/dest/usr/share/man/man1/harness.1" &&
	test -s "$tmp/dest/usr/share/bash-completion/completions/harness" &&
	test "$(readlink "$tmp/dest/usr/bin/harness")" = "$H"
check "make install puts the command, both pages and the completion under DESTDIR/PREFIX" $?

# The completion, driven as bash would, without bash-completion installed.
complete_words() {
	bash -c '
		_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]};
			words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
		_filedir() { :; }
		complete() { :; }
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_harness; printf "%s\n" "${COMPREPLY[@]}"' _ "$top/harness/completion/harness.bash" "$@"
}
complete_words harness "" | grep -qx experiments && complete_words harness r | grep -qx report
check "completion: verbs" $?
HARNESS_TOP=$top complete_words harness run suite q | grep -qx quick
check "completion: suite names from harness/suites" $?
# 'harness run --help' lists every suite of harness/suites with its header's
# first line, read from the directory (it once named 2 of 7).
"$H" run --help >"$tmp/runhelp.txt"
missing=0
for f in "$top"/harness/suites/*.yaml; do
	n=$(basename "$f" .yaml)
	first=$(head -n1 "$f" | sed "s/^# *$n: *//")
	grep -qF "  $(printf '%-10s' "$n")  $first" "$tmp/runhelp.txt" || { diag "run --help lacks suite '$n'"; missing=1; }
done
test $missing = 0
check "run --help lists every shipped suite with its header's first line" $?
complete_words harness run --no | grep -qx -- --no-restore
check "completion: run offers --no-restore" $?
# The README a newcomer reads: short, with the commands CI and users run.
n=$(wc -l <"$top/README.md")
test "$n" -le 150 && grep -q '^make test ' "$top/README.md" && grep -q '^make suite ' "$top/README.md" &&
	grep -q '^make check ' "$top/README.md"
check "README.md is at most 150 lines ($n) and shows make suite, make test, make check" $?
missing=0
for g in "$top"/docs/*.md; do
	grep -q "](docs/$(basename "$g")" "$top/README.md" || { diag "README does not link docs/$(basename "$g")"; missing=1; }
done
test $missing = 0
check "README.md links every guide in docs/" $?
# Every relative link target of the README and the guides exists.
missing=0
for md in "$top/README.md" "$top"/docs/*.md; do
	for l in $(grep -o '](\([^)#]*\)' "$md" | sed 's/^](//' | grep -v '^[a-z]*:'); do
		[ -e "$(dirname "$md")/$l" ] || { diag "$md links to missing $l"; missing=1; }
	done
done
test $missing = 0
check "the relative links of README.md and docs/*.md resolve" $?
done_testing
