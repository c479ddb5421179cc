#!/bin/sh
# install-deps.sh -- installs the Debian 12 packages hycoc needs to build and
# run, if any is missing.  Uses sudo when not root.
set -e
PKGS="gcc make flex bison tcc libtcc-dev libopenblas-dev zlib1g-dev libcairo2-dev fonts-dejavu-core libfontconfig-dev"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
