#!/bin/bash
# The guest-kernel tools refuse bad usage before doing anything (no QEMU
# boot, no mmdebstrap): fast, nothing intrusive.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/ci/tap.sh"
run=$top/ci/qemu-initramfs-run
tmp=$(mktemp -d /tmp/kmod-usage.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/noinit" "$tmp/payload"
printf '#!/bin/sh\nexit 0\n' >"$tmp/payload/init.sh"
chmod +x "$tmp/payload/init.sh"
: >"$tmp/vmlinuz"

status() { "$@" >/dev/null 2>&1; echo $?; }

plan 10
check "qemu-initramfs-run without --kernel is a usage error" \
	"$([ "$(status "$run" --payload "$tmp/payload")" -eq 2 ]; echo $?)"
check "qemu-initramfs-run with an unknown option is a usage error" \
	"$([ "$(status "$run" --kernel "$tmp/vmlinuz" --payload "$tmp/payload" --bogus 1)" -eq 2 ]; echo $?)"
check "qemu-initramfs-run refuses a payload without init.sh" \
	"$([ "$(status "$run" --kernel "$tmp/vmlinuz" --payload "$tmp/noinit")" -eq 2 ]; echo $?)"
check "qemu-initramfs-run refuses a non-numeric --timeout" \
	"$([ "$(status "$run" --kernel "$tmp/vmlinuz" --payload "$tmp/payload" --timeout soon)" -eq 2 ]; echo $?)"
check "qemu-initramfs-run refuses --modules without --modules-root" \
	"$([ "$(status "$run" --kernel "$tmp/vmlinuz" --payload "$tmp/payload" --modules veth)" -eq 2 ]; echo $?)"
check "qemu-initramfs-run refuses a missing kernel" \
	"$([ "$(status "$run" --kernel "$tmp/none" --payload "$tmp/payload")" -eq 2 ]; echo $?)"
"$run" --kernel "$tmp/vmlinuz" --payload "$tmp/noinit" 2>"$tmp/err" >/dev/null
grep -q "has no executable init.sh" "$tmp/err"
check "the error names what is wrong" $?
check "guest-kernel refuses an unknown release" \
	"$([ "$(status "$top/ci/guest-kernel" oldstable)" -ne 0 ]; echo $?)"
check "guest-memwatch refuses an unknown mode" \
	"$([ "$(status "$here/guest-memwatch" stable with-nothing)" -eq 2 ]; echo $?)"
check "guest-memwatch refuses slub_debug flags that are not flags" \
	"$([ "$(MEMWATCH_SLUB_DEBUG='FZP quiet' status "$here/guest-memwatch" stable)" -eq 2 ]; echo $?)"
done_testing
