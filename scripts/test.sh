#!/usr/bin/env bash
# Installs what the tests need, then runs the whole suite for real: Ganesha, a private
# D-Bus daemon, loop devices and an NFSv4.1 client. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Tests that cannot find root, Ganesha or the client fail instead of skipping.
export SHARE_MANAGER_REQUIRE_INTEGRATION=1
export SHARE_MANAGER_TEST_PYTHON="$PWD/.venv/bin/python"
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
