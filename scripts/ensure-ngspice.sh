#!/bin/sh
# Make sure ngspice can be loaded by PySpice: the shared library libngspice.so
# (Debian package libngspice0-dev) and the ngspice package with its spinit
# script.  Installs them with apt-get when run as root; otherwise stops with
# the exact command to run.  Installs nothing else.
set -eu
PACKAGES="ngspice libngspice0-dev"
COMMAND="apt-get update && apt-get install -y $PACKAGES"

have_ngspice() {
    [ -e /usr/share/ngspice/scripts/spinit ] || [ -e /usr/local/share/ngspice/scripts/spinit ] || return 1
    ldconfig -p 2>/dev/null | grep -q 'libngspice\.so ' && return 0
    ls /usr/lib/*/libngspice.so /usr/lib/libngspice.so /usr/local/lib/libngspice.so >/dev/null 2>&1
}

have_ngspice && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ngspice is missing; installing: $COMMAND"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
    have_ngspice && exit 0
    echo "error: apt-get finished but libngspice.so or spinit is still missing." >&2
    exit 1
fi

cat >&2 <<MSG
error: ngspice is not installed, and this user cannot install system packages.
Run this once as root (for example with sudo), then run make again:

    sudo sh -c '$COMMAND'

Nothing else has been installed yet.
MSG
exit 1
