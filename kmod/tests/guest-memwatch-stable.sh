#!/bin/sh
# memwatch in Debian stable's kernel under QEMU (see guest-memwatch).
exec "$(dirname "$0")/guest-memwatch" stable
