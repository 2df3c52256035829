#!/bin/bash
# Every domain XML the harness can generate, validated against libvirt's own
# schema with virt-xml-validate (libvirt-clients; the schemas come with
# libvirt0), so that the KVM path's XML (type='kvm', host-passthrough CPU) is
# checked on a machine where KVM cannot run: tests/domxml_cases.c writes them
# for type='qemu' and type='kvm', every value of every setting that reaches
# a domain XML (taken from the experiments' descriptors: a setting that is in
# neither of its lists fails it), hot-plugged disks and NICs, CPU weights
# and pinning, a restored state and a migration's destination XML.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
cases=${HARNESS_TESTDIR:-$top/build/harness-tests}/domxml_cases
[ -x "$cases" ] || skip_all "domxml_cases not built (make -C harness check)"
command -v virt-xml-validate >/dev/null || skip_all "virt-xml-validate missing (libvirt-clients: make deps)"
[ -f /usr/share/libvirt/schemas/domain.rng ] || skip_all "libvirt's schemas missing (/usr/share/libvirt/schemas)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$cases" "$tmp/xml" >"$tmp/list" 2>"$tmp/cases.err"
st=$?
n=$(wc -l <"$tmp/list")
plan $((n + 2))
check "every setting of every experiment is classified and its XML written ($(tail -n 1 "$tmp/cases.err"))" $st
[ $st -eq 0 ] || diag "$(cat "$tmp/cases.err")"
grep -q " (type kvm)$" "$tmp/list" && grep -q " (type qemu)$" "$tmp/list"
check "documents of both domain types, kvm and qemu" $?
# Two at a time (2 cores here); each result kept apart, reported in order.
awk -v d="$tmp" '{ print d "/" NR, $1, $2 }' "$tmp/list" |
	xargs -P 2 -n 3 sh -c 'virt-xml-validate "$2" "$1" >"$0.out" 2>&1; echo $? >"$0.rc"' 2>/dev/null
i=0
while read -r schema file what; do
	i=$((i + 1))
	rc=$(cat "$tmp/$i.rc" 2>/dev/null || echo 1)
	check "$schema: $what" "$rc"
	[ "$rc" = 0 ] || diag "$(cat "$file")" "$(cat "$tmp/$i.out" 2>/dev/null)"
done <"$tmp/list"
done_testing
