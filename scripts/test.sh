#!/usr/bin/env bash
# Installs what the tests need, then runs the whole suite for real: Ganesha, a private
# D-Bus daemon, loop devices and an NFSv4.1 client. Needs root.
#
# Two passes: the whole suite against the host's Ganesha (Debian 12's 4.3), then the tests
# that exercise Ganesha itself against Debian 13's 6.5, run from the trixie root through
# scripts/ganesha-in-root.sh; between them, a short fuzz of the D-Bus reply decoder. Arguments are passed to the first pass; the second runs only
# without arguments (a filtered run is someone's quick check), or always with
# SHARE_MANAGER_SECOND_PASS=1, never with SHARE_MANAGER_SECOND_PASS=0.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The image's runtime stage, without a container engine (none runs here), for both releases
# the Containerfile builds: the package list in a debootstrap chroot, its ENTRYPOINT serving
# a volume as PID 1 with only the documented capabilities. About 2 minutes each from a fresh
# clone; the roots (.build-rootfs-bookworm, .build-rootfs-trixie) are kept after.
scripts/verify-runtime.sh --release bookworm
scripts/verify-runtime.sh --release trixie
# Tests that cannot find root, Ganesha or the client fail instead of skipping.
export SHARE_MANAGER_REQUIRE_INTEGRATION=1
export SHARE_MANAGER_TEST_PYTHON="$PWD/.venv/bin/python"
# The module map in docs/architecture.md is Package.swift's; no module above a quarter of Sources.
scripts/modules.py --check
swift build --build-tests
if [ $# -ne 0 ]; then
    swift test --skip-build --disable-xctest "$@"
else
    # The kernel-client suites run alone after the rest: their QEMU guests are emulated and
    # take a core each, and beside the whole suite they made its timing bounds fail and, once,
    # a guest's kernel panic at boot.
    swift test --skip-build --disable-xctest --skip 'KernelClientSuites'
    swift test --skip-build --disable-xctest --filter 'KernelClientSuites'
fi

# The fuzz smoke: libFuzzer on DBusKit's reply decoder from fixed seeds, under 30 s with its
# build (fuzz/run.sh --smoke). A crash, leak or hang fails the run. Like the second pass, a
# filtered run (someone's quick check) leaves it out.
[ $# -ne 0 ] || fuzz/run.sh --smoke

second_pass=${SHARE_MANAGER_SECOND_PASS:-$([ $# -eq 0 ] && echo 1 || echo 0)}
[ "$second_pass" = 1 ] || exit 0
# What depends on the Ganesha itself: its D-Bus interface (admin, exports, statistics,
# heartbeats), the rendered config it must accept, and share-manager end to end (serving,
# in-place restarts, reclaim after a crash, grace lifted early and again after a crash in
# grace, statistics in /metrics, export off and on). Tests of our own code alone (parsers,
# the volume, flags, HTTP) do not change with Ganesha's version and run once.
ganesha_tests='GaneshaControlTests\.Ganesha(Admin|Client|ExportManager|Heartbeat|NFSClient|Statistics)Tests'
ganesha_tests+='|GaneshaConfigTests\.GaneshaAcceptsAccessTests'
ganesha_tests+='|IntegrationTests\.(EndToEndTests|ReclaimTests|InterruptedGraceTests|MetricsTests|MetricsDocsTests|DashboardQueryTests|LogLevelTests)'
ganesha_tests+='|IntegrationTests\.ControlAPITests/unexportAndExport'
shim=$(mktemp -d /tmp/sm-ganesha-trixie-XXXXXX)
# The tests' temporary folders go into a shared mount of their own, so that Ganesha's
# namespace holds slave copies of their volumes, which each unmount takes along (see
# scripts/ganesha-in-root.sh). A fresh empty folder: binding it hides nothing.
tmp=$(mktemp -d /tmp/sm-ganesha-trixie-tmp-XXXXXX)
mount --bind "$tmp" "$tmp"
mount --make-shared "$tmp"
# swift test and Foundation leave lock files and folders of their own there.
trap 'umount "$tmp" || umount -l "$tmp"; rm -rf --one-file-system "$tmp" "$shim"' EXIT
ln -s "$PWD/scripts/ganesha-in-root.sh" "$shim/ganesha.nfsd"
export SHARE_MANAGER_GANESHA_ROOT="$PWD/.build-rootfs-trixie"
export TMPDIR="$tmp"
echo
echo "==> second pass, Ganesha from $SHARE_MANAGER_GANESHA_ROOT: $(PATH="$shim:$PATH" ganesha.nfsd -v)"
PATH="$shim:$PATH" swift test --skip-build --disable-xctest --filter "$ganesha_tests"
