#!/usr/bin/env bash
# Installs the Debian packages share-manager builds against and runs with, plus the test
# tools (promtool, cryptsetup, the NFSv4.1 client's venv). Idempotent; needs root.
# `--serve` (scripts/demo.sh) installs only what building and serving need.
set -euo pipefail
cd "$(dirname "$0")/.."
serve_only=false
[ "${1:-}" = --serve ] && serve_only=true

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: run as root (sudo): it installs Debian packages and later mounts loop devices" >&2
    exit 1
fi

packages=(
    # what the design card names: the C libraries we build against
    libdbus-1-dev libsystemd-dev libnfsidmap-dev pkg-config
    # what share-manager runs
    nfs-ganesha nfs-ganesha-vfs dbus e2fsprogs xfsprogs util-linux mount
)
$serve_only || packages+=(
    # what the tests and benchmarks use
    cryptsetup-bin fdisk lvm2 bcache-tools prometheus python3-venv hyperfine curl
    # systemd-analyze, which checks deploy/systemd's unit (no running systemd needed)
    systemd
    # the kernel-client guests (docs/kernel-client.md): the emulator and the C compiler for
    # the guest's probe; the kernel and busybox are downloaded, not installed
    qemu-system-x86 busybox-static gcc libc6-dev xz-utils
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    # Recommends add nothing the tests or share-manager use (openssl, krb5-locales, ...).
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Under systemd, installing nfs-ganesha starts Debian's own server (nfs-ganesha.service) on
# port 2049, where share-manager's Ganesha would listen: stop it and keep it from starting
# at boot. Only when this run installed it; a server someone set up before stays.
if [[ " ${missing[*]} " == *" nfs-ganesha "* ]] && [ -d /run/systemd/system ] \
    && systemctl is-enabled --quiet nfs-ganesha.service 2>/dev/null; then
    echo "disabling Debian's nfs-ganesha.service (it would hold port 2049)"
    systemctl disable --now --quiet nfs-ganesha.service
fi
if ! command -v swift >/dev/null; then
    echo "install-deps.sh: no 'swift' on PATH; install Swift 6.3 (swift.org) and put it on PATH" >&2
    exit 1
fi
$serve_only && exit 0

# The NFSv4.1 client the tests use (the kernel here has no NFS client). Debian's pip
# refuses system installs, so it lives in a venv inside the checkout.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import nfs_rs' 2>/dev/null; then
    /usr/bin/python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'nfs-rs==0.8.7'
fi

# The manifest checks (Tests/IntegrationTests/ManifestTests.swift): kubernetes-validate
# carries Kubernetes' JSON schemas in its wheel, so validating needs no network; yamllint
# catches duplicate keys, which YAML parsers silently merge. PyYAML comes with them.
manifest_tools=('kubernetes-validate==1.37.0' 'yamllint==1.38.0')
if ! .venv/bin/python - "${manifest_tools[@]}" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit(any(version(name) != wanted for name, wanted in (pin.split("==") for pin in sys.argv[1:])))
PY
then
    .venv/bin/pip install --quiet --disable-pip-version-check "${manifest_tools[@]}"
fi

# The kernel-client fixture: a Debian kernel and an initramfs for QEMU guests that mount our
# exports with the Linux NFS client (cached in .build-kernel-client, rebuilt when it changes).
scripts/kernel-client.sh
