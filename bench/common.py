"""What every benchmark here needs: free loopback ports, the readiness check, and the
checks before a run (root for loop devices and mounts, a release binary)."""
import contextlib
import os
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
# SHARE_MANAGER_BINARY lets bench/run-all.sh point every script at one build (e.g. a
# release build in its own scratch path) without a --binary on each.
RELEASE_BINARY = os.environ.get("SHARE_MANAGER_BINARY") or os.path.join(HERE, "..", ".build", "release", "share-manager")
VENV_PYTHON = os.path.join(HERE, "..", ".venv", "bin", "python3")
TEMPLATES = os.path.join(HERE, "..", "ganesha-templates")
CLIENT = os.path.join(HERE, "..", "Tests", "IntegrationTests", "Tools", "nfs41_client.py")


def use_venv():
    """nfs_rs lives in the repository's .venv; re-run this script with that interpreter
    when the one we run under lacks it."""
    try:
        import nfs_rs  # noqa: F401
    except ImportError:
        # The venv's python is a symlink to the system one; sys.prefix tells them apart.
        in_venv = os.path.realpath(sys.prefix) == os.path.realpath(os.path.join(HERE, "..", ".venv"))
        if in_venv or not os.access(VENV_PYTHON, os.X_OK):
            raise SystemExit("nfs_rs is not importable; create .venv (scripts/install-deps.sh)")
        os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)


def drop_caches():
    """So that a read after it comes from the device, not the page cache."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


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


def accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for(check, timeout, what):
    """Waits until check() is true; exits naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


def can_run(name: str, binary: str) -> bool:
    """Prints why a benchmark cannot run, and returns False then."""
    if os.geteuid() != 0:
        print(f"{name}: needs root (loop devices, mounts)", file=sys.stderr)
        return False
    if not os.access(binary, os.X_OK):
        print(f"{name}: no binary at {binary}; run `swift build -c release --product share-manager --static-swift-stdlib` first (as the image builds it)", file=sys.stderr)
        return False
    return True


# --ganesha: which ganesha.nfsd the benchmarks start. "host" is the one on PATH (Debian 12's
# 4.3 here); any other name is a Debian release whose root scripts/verify-runtime.sh
# --release <name> made, run through scripts/ganesha-in-root.sh as the tests' second pass does.
GANESHA_HELP = ("comma-separated Ganeshas to compare in one run: 'host' (the ganesha.nfsd on PATH) "
                "or a release whose root scripts/verify-runtime.sh made, e.g. host,trixie")


def ganesha_choices(spec: str) -> list:
    """(label, root or None) for each name in --ganesha; exits when a root is missing."""
    choices = []
    for name in [n.strip() for n in spec.split(",") if n.strip()]:
        if name == "host":
            choices.append((name, None))
            continue
        root = os.path.realpath(os.path.join(HERE, "..", f".build-rootfs-{name}"))
        if not os.access(f"{root}/usr/bin/ganesha.nfsd", os.X_OK):
            raise SystemExit(f"--ganesha {name}: no {root}/usr/bin/ganesha.nfsd; run scripts/verify-runtime.sh --release {name}")
        choices.append((name, root))
    return choices


@contextlib.contextmanager
def using_ganesha(root):
    """Everything started inside (share-manager, a bare ganesha.nfsd) finds the Ganesha of
    `root` first on PATH; None leaves the host's. Restores the environment afterwards."""
    saved = {k: os.environ.get(k) for k in ("PATH", "SHARE_MANAGER_GANESHA_ROOT")}
    shim = tempfile.mkdtemp(prefix="sm-bench-ganesha-") if root else None
    try:
        if root:
            os.symlink(os.path.join(HERE, "..", "scripts", "ganesha-in-root.sh"), f"{shim}/ganesha.nfsd")
            os.environ["PATH"] = f"{shim}:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}"
            os.environ["SHARE_MANAGER_GANESHA_ROOT"] = root
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if shim:
            shutil.rmtree(shim, ignore_errors=True)


def ganesha_version() -> str:
    """What the ganesha.nfsd now first on PATH says it is, e.g. "V6.5"."""
    out = subprocess.run(["ganesha.nfsd", "-v"], capture_output=True, text=True).stdout
    return out.strip().rsplit("= ", 1)[-1] or "unknown"


class Server:
    """One share-manager instance ("node") serving `image` on `nfs_port`; `extra` are more
    `run` flags (a bench row's settings)."""

    def __init__(self, binary, work, image, node, nfs_port, grace=None, lease=None, extra=()):
        self.http_port = free_port()
        self.mount = f"{work}/mnt-{node}"
        self.state = f"{work}/state-{node}"
        self.log = open(f"{work}/{node}.log", "ab")
        self.proc = subprocess.Popen(
            [binary, "run", "--volume", "bench", "--device", image, "--mount-point", self.mount,
             "--state-dir", self.state, "--nfs-address", "127.0.0.1", "--nfs-port", str(nfs_port),
             "--http-address", "127.0.0.1", "--http-port", str(self.http_port),
             *(["--grace-period", str(grace)] if grace is not None else []),
             *(["--lease-lifetime", str(lease)] if lease is not None else []), *extra],
            stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while not ready(self.http_port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"share-manager did not become ready; see {work}/{node}.log")
            time.sleep(0.02)

    def ganesha_pid(self) -> int:
        return int(open(f"{self.state}/ganesha.pid").read().strip())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)

    def remove_leftovers(self, image):
        detach(self.mount, image)


def detach(mount, image):
    """What a volume detach does on the old node after its server was killed: the mount
    and the loop device go."""
    subprocess.run(["umount", "-l", mount], stderr=subprocess.DEVNULL)
    out = subprocess.run(["losetup", "-j", image], capture_output=True, text=True).stdout
    for line in out.splitlines():
        subprocess.run(["losetup", "-d", line.split(":")[0]])
    # A busy loop device is only marked for removal; the next instance refuses an image that
    # is still attached, so wait until it is gone.
    deadline = time.monotonic() + 30
    while subprocess.run(["losetup", "-j", image], capture_output=True, text=True).stdout.strip():
        if time.monotonic() > deadline:
            raise SystemExit(f"{image} stayed attached to a loop device 30 s after the detach")
        time.sleep(0.05)
