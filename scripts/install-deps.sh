#!/bin/sh
# Installs, from Debian's packages, whatever ringcast needs to build, test, fuzz and benchmark that
# this machine lacks (fuzzing: clang-14, libFuzzer from libclang-rt-14-dev, llvm-symbolizer from
# llvm-14). As root it runs apt-get; otherwise it prints the apt-get line to run.
set -e
packages="build-essential cmake ninja-build pkg-config g++ liburing-dev libssl-dev libfmt-dev
libsimdjson-dev libhttp-parser-dev libgtest-dev libgmock-dev libbenchmark-dev ffmpeg rtmpdump
nginx libnginx-mod-rtmp curl procps
clang-14 libclang-rt-14-dev llvm-14"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "ringcast needs these Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The nginx package starts a service on port 80 that tests do not want; tests run their own.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
pkill -x nginx >/dev/null 2>&1 || true
