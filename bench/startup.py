#!/usr/bin/env python3
"""Start-to-ready time: share-manager vs a bare ganesha.nfsd with the same config.

share-manager: from process start to the first 200 from /readyz (device checked and
mounted, private bus and Ganesha started, export added and confirmed over D-Bus).
Baseline: from process start of a bare `ganesha.nfsd -F` (same main config plus the same
EXPORT block, on an already mounted filesystem and an already running bus) to its NFS port
accepting TCP. Both on an existing ext4 filesystem (the format is a one-off).

Usage (root): bench/startup.py [--runs N] [--binary PATH]
Prints each run and the medians, and the ratio share-manager / bare Ganesha.
"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from common import RELEASE_BINARY, can_run, free_port, ready




def wait_for(check, timeout=60.0, interval=0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False


def accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False




def share_manager_args(binary, work, image, nfs_port, http_port):
    return [binary, "run", "--volume", "bench", "--device", image,
            "--mount-point", f"{work}/mnt", "--state-dir", f"{work}/state",
            "--nfs-address", "127.0.0.1", "--nfs-port", str(nfs_port),
            "--http-address", "127.0.0.1", "--http-port", str(http_port),
            "--grace-period", "5", "--lease-lifetime", "5"]


def time_share_manager(binary, work, image) -> float:
    nfs_port, http_port = free_port(), free_port()
    log = open(f"{work}/share-manager.log", "ab")
    start = time.monotonic()
    proc = subprocess.Popen(share_manager_args(binary, work, image, nfs_port, http_port), stdout=log, stderr=log)
    try:
        if not wait_for(lambda: ready(http_port) or proc.poll() is not None) or proc.poll() is not None:
            raise SystemExit(f"share-manager did not become ready; see {work}/share-manager.log")
        return time.monotonic() - start
    finally:
        proc.send_signal(signal.SIGTERM)
        if proc.wait(timeout=30) != 0:
            raise SystemExit(f"share-manager exited {proc.returncode}; see {work}/share-manager.log")


def time_bare_ganesha(binary, work, image) -> float:
    """Mount and start a bus outside the timing, then time Ganesha alone."""
    nfs_port, http_port = free_port(), free_port()
    render = share_manager_args(binary, work, image, nfs_port, http_port)
    render[1] = "render"
    rendered = subprocess.run(render, check=True, capture_output=True, text=True).stdout
    config = "\n".join(line for line in rendered.splitlines() if not line.startswith("# ====="))
    bare = f"{work}/bare"
    os.makedirs(bare, exist_ok=True)
    with open(f"{bare}/ganesha.conf", "w") as f:
        f.write(config)
    loop = subprocess.run(["losetup", "--find", "--show", image], check=True, capture_output=True, text=True).stdout.strip()
    os.makedirs(f"{work}/mnt", exist_ok=True)
    subprocess.run(["mount", "-o", "errors=remount-ro", loop, f"{work}/mnt"], check=True)
    bus_conf = f"{bare}/bus.conf"
    template = open(os.path.join(os.path.dirname(__file__), "..", "ganesha-templates", "dbus-system-bus.conf.mustache")).read()
    with open(bus_conf, "w") as f:
        f.write(template.split("\n", 1)[1].replace("{{runDirectory}}", bare))
    bus = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={bus_conf}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ganesha = None
    try:
        wait_for(lambda: os.path.exists(f"{bare}/system_bus_socket"))
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={bare}/system_bus_socket")
        log = open(f"{bare}/ganesha.log", "ab")
        start = time.monotonic()
        ganesha = subprocess.Popen(["ganesha.nfsd", "-F", "-f", f"{bare}/ganesha.conf", "-L", "/dev/stdout",
                                    "-p", f"{bare}/ganesha.pid"], stdout=log, stderr=log, env=env)
        if not wait_for(lambda: accepts_tcp(nfs_port) or ganesha.poll() is not None) or ganesha.poll() is not None:
            raise SystemExit(f"bare Ganesha did not listen; see {bare}/ganesha.log")
        return time.monotonic() - start
    finally:
        if ganesha:
            ganesha.send_signal(signal.SIGTERM)
            ganesha.wait(timeout=30)
        bus.terminate()
        bus.wait(timeout=10)
        subprocess.run(["umount", f"{work}/mnt"], check=False)
        subprocess.run(["losetup", "-d", loop], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--binary", default=RELEASE_BINARY)
    args = parser.parse_args()
    if not can_run("startup.py", args.binary):
        return 1
    work = tempfile.mkdtemp(prefix="sm-bench-")
    image = f"{work}/bench.img"
    subprocess.run(["truncate", "-s", "256M", image], check=True)
    try:
        time_share_manager(args.binary, work, image)  # formats the blank image once; not counted
        ours, bare = [], []
        for i in range(args.runs):
            ours.append(time_share_manager(args.binary, work, image))
            bare.append(time_bare_ganesha(args.binary, work, image))
            print(f"run {i + 1}: share-manager {ours[-1] * 1000:7.1f} ms   bare ganesha.nfsd {bare[-1] * 1000:7.1f} ms")
        m_ours, m_bare = statistics.median(ours), statistics.median(bare)
        print(f"median: share-manager start->/readyz 200 {m_ours * 1000:.1f} ms; "
              f"bare ganesha.nfsd start->listening {m_bare * 1000:.1f} ms; ratio {m_ours / m_bare:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
