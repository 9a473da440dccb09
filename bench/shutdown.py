#!/usr/bin/env python3
"""Orderly shutdown time: SIGTERM to exit, for one or more share-manager binaries.

Each run starts share-manager on an existing ext4 image, waits for /readyz 200, sends
SIGTERM and times until the process has exited (admin.shutdown to Ganesha, bus stopped,
volume unmounted, loop device detached). A run that does not exit 0 stops the bench.
Several --binary values are interleaved in each run, so that a busy moment of the machine
falls on all of them alike.

Usage (root): bench/shutdown.py [--runs N] [--binary PATH ...]
Prints each run and the median per binary.
"""
import argparse
import signal
import statistics
import subprocess
import tempfile
import time

from common import RELEASE_BINARY, can_run, free_port, ready


def run_once(binary, work, image) -> float:
    nfs_port, http_port = free_port(), free_port()
    log = open(f"{work}/share-manager.log", "ab")
    proc = subprocess.Popen([binary, "run", "--volume", "bench", "--device", image,
                             "--mount-point", f"{work}/mnt", "--state-dir", f"{work}/state",
                             "--nfs-address", "127.0.0.1", "--nfs-port", str(nfs_port),
                             "--http-address", "127.0.0.1", "--http-port", str(http_port),
                             "--grace-period", "5", "--lease-lifetime", "5"], stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while not ready(http_port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"share-manager did not become ready; see {work}/share-manager.log")
        time.sleep(0.01)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    took = time.monotonic() - start
    if code != 0:
        raise SystemExit(f"share-manager exited {code}; see {work}/share-manager.log")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--binary", action="append")
    args = parser.parse_args()
    binaries = args.binary or [RELEASE_BINARY]
    if not all(can_run("shutdown.py", b) for b in binaries):
        return 1
    work = tempfile.mkdtemp(prefix="sm-bench-shutdown-")
    image = f"{work}/bench.img"
    subprocess.run(["truncate", "-s", "256M", image], check=True)
    run_once(binaries[0], work, image)  # formats the blank image once; not counted
    times = {b: [] for b in binaries}
    for i in range(args.runs):
        for b in binaries:
            times[b].append(run_once(b, work, image))
        print(f"run {i + 1}: " + "; ".join(f"{b}: {times[b][-1] * 1000:.1f} ms" for b in binaries), flush=True)
    for b in binaries:
        print(f"median: {b} SIGTERM->exit {statistics.median(times[b]) * 1000:.1f} ms")
    subprocess.run(["rm", "-rf", work])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
