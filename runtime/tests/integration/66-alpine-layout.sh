#!/bin/bash
# A root filesystem laid out as Alpine's minirootfs tarball works as the
# busybox root does: /bin/busybox with absolute applet links, musl's dynamic
# loader at /lib/ld-musl-x86_64.so.1 (and libc.musl-x86_64.so.1 pointing at
# it), /etc/alpine-release, /etc/apk, an os-release with ID=alpine, and a
# program linked dynamically against musl (as every Alpine binary is), all
# in a tarball whose entries start with "./". Built here from Debian's
# busybox-static and musl-tools: no network, no Alpine download.
. "$(dirname "$0")/lib.sh"
command -v musl-gcc >/dev/null || skip_all "musl-gcc is missing (musl-tools; make deps installs it)"
ldmusl=$(readlink -f /lib/ld-musl-x86_64.so.1 2>/dev/null)
[ -f "$ldmusl" ] || skip_all "musl's loader /lib/ld-musl-x86_64.so.1 is missing (package musl)"
plan 8

a=$T/alpine
mkdir -p "$a"/{bin,sbin,dev,etc/apk,home,lib,media,mnt,opt,proc,root,run,srv,sys,tmp,usr/bin,usr/lib,usr/sbin,var/tmp}
chmod 1777 "$a/tmp" "$a/var/tmp"
chmod 700 "$a/root"
cp "$T/rootfs/bin/busybox" "$a/bin/busybox"
for x in sh ls cat echo hostname uname readlink wc sleep; do ln -s /bin/busybox "$a/bin/$x"; done
install -m 755 "$ldmusl" "$a/lib/ld-musl-x86_64.so.1"
ln -s ld-musl-x86_64.so.1 "$a/lib/libc.musl-x86_64.so.1"
printf '3.20.3\n' >"$a/etc/alpine-release"
printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n' >"$a/etc/os-release"
printf 'x86_64\n' >"$a/etc/apk/arch"
printf 'alpine-baselayout\nbusybox\nmusl\n' >"$a/etc/apk/world"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' >"$a/etc/passwd"
printf 'root:x:0:root\nnobody:x:65534:\n' >"$a/etc/group"
printf 'root:*::0:::::\n' >"$a/etc/shadow"
chmod 640 "$a/etc/shadow"
printf 'localhost\n' >"$a/etc/hostname"
cat >"$T/hello.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(void) { printf("musl pid %d\n", (int)getpid()); return 0; }
C
musl-gcc -O2 -o "$a/usr/bin/hello" "$T/hello.c"
check "a program linked dynamically against musl (the test's own build)" \
	$(file "$a/usr/bin/hello" | grep -q 'interpreter /lib/ld-musl-x86_64.so.1'; echo $?)
tar --numeric-owner --owner=0 --group=0 -C "$a" -czf "$T/alpine-minirootfs.tar.gz" .
check "the tarball is laid out as Alpine's (entries under ./)" \
	$(tar -tzf "$T/alpine-minirootfs.tar.gz" | grep -qx './lib/ld-musl-x86_64.so.1'; echo $?)

sv_start || exit 1
out=$("$R" run alp "$T/alpine-minirootfs.tar.gz" --hostname alp -- sh -c '. /etc/os-release; echo $ID $$; hostname')
check "the Alpine-layout container is Alpine, with its own PID 1 and hostname" \
	$([ "$(echo $out)" = "alpine 1 alp" ]; echo $?)
out=$("$R" run alp-musl "$T/alpine-minirootfs.tar.gz" -- /usr/bin/hello)
check "musl's loader runs the dynamic program as PID 1" $([ "$out" = "musl pid 1" ]; echo $?)
out=$("$R" run alp-kernel "$T/alpine-minirootfs.tar.gz" -- uname -r)
check "on the host's kernel" $([ "$out" = "$(uname -r)" ]; echo $?)
"$R" run alp-sysrq "$T/alpine-minirootfs.tar.gz" -- sh -c 'echo h > /proc/sysrq-trigger' >/dev/null 2>&1
check "the same confinement as the busybox root (sysrq-trigger not writable)" $([ $? -ne 0 ]; echo $?)
"$R" start alp-bg "$T/alpine-minirootfs.tar.gz" -- sleep 2172 >/dev/null
ok "started in the background, it runs" sh -c "'$R' ps | grep -Eq '^alp-bg +running'"
out=$("$R" stop alp-bg -t 0)
check "and stops" $(echo "$out" | grep -q "killed"; echo $?)
done_testing
