#!/bin/sh
# Make sure Node.js and npm are there for `npm ci` (the site's browser assets:
# ngspice compiled to WebAssembly, pinned in package-lock.json).  Installs
# Debian's nodejs and npm with apt-get when run as root; otherwise stops with
# the exact command to run.  Installs nothing else.
set -eu
PACKAGES="nodejs npm"
COMMAND="apt-get update && apt-get install -y $PACKAGES"

have_node() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
    # npm ci with lockfileVersion 3 needs npm 7 or newer (Node 16+).
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 16 ? 0 : 1)'
}

have_node && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Node.js or npm is missing; installing: $COMMAND"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
    have_node && exit 0
    echo "error: apt-get finished but node or npm (Node 16 or newer) is still missing." >&2
    exit 1
fi

cat >&2 <<MSG
error: Node.js and npm are not installed (or Node is older than 16), and this
user cannot install system packages. Run this once as root (for example with
sudo), then run make again:

    sudo sh -c '$COMMAND'

MSG
exit 1
