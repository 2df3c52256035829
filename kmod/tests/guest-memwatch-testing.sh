#!/bin/sh
# memwatch in Debian testing's kernel under QEMU (see guest-memwatch).
exec "$(dirname "$0")/guest-memwatch" testing
