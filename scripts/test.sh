#!/usr/bin/env bash
# Installs what the tests need, then runs the whole suite for real: Ganesha, a private
# D-Bus daemon, loop devices and an NFSv4.1 client. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The image's runtime stage, without a container engine (none runs here): the Containerfile's
# package list in a debootstrap chroot, its ENTRYPOINT serving a volume as PID 1 with only
# the documented capabilities. About 2 minutes from a fresh clone; the root is kept after.
scripts/verify-runtime.sh
# Tests that cannot find root, Ganesha or the client fail instead of skipping.
export SHARE_MANAGER_REQUIRE_INTEGRATION=1
export SHARE_MANAGER_TEST_PYTHON="$PWD/.venv/bin/python"
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
