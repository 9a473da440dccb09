"""What every benchmark here needs: free loopback ports, the readiness check, and the
checks before a run (root for loop devices and mounts, a release binary)."""
import os
import socket
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
RELEASE_BINARY = os.path.join(HERE, "..", ".build", "release", "share-manager")
CLIENT = os.path.join(HERE, "..", "Tests", "IntegrationTests", "Tools", "nfs41_client.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def can_run(name: str, binary: str) -> bool:
    """Prints why a benchmark cannot run, and returns False then."""
    if os.geteuid() != 0:
        print(f"{name}: needs root (loop devices, mounts)", file=sys.stderr)
        return False
    if not os.access(binary, os.X_OK):
        print(f"{name}: no binary at {binary}; run `swift build -c release` first", file=sys.stderr)
        return False
    return True
