#!/usr/bin/env python3
"""Failover time: from SIGKILL to the first write accepted from a reclaiming client.

Scenarios, each with 1 and 10 clients that hold an open file and a byte-range lock
(Tests/IntegrationTests/Tools/nfs41_client.py, which reclaims after a server restart):
  ganesha-killed      SIGKILL Ganesha; share-manager restarts it in place.
  failover            SIGKILL share-manager; its mount and loop device are removed (as a
                      volume detach would) and a fresh share-manager starts on the same image
                      with another mount point and state dir, as on another node.
  killed-in-grace     SIGKILL Ganesha, and once every client has reclaimed, SIGKILL the
                      restarted Ganesha again, inside the grace period the first kill began.
                      Times count from the second kill; new opens are probed by a fresh
                      client (`try-open`, every 0.5 s), since the holders' own probe would
                      be cut off by the second kill.
Reported per run: the slowest client's time to its first accepted write after the kill,
and the time until a brand-new open succeeds (grace lifted), next to --grace-period.

Usage (root, after `swift build -c release`): bench/failover.py [--runs 3] [--clients 1,10]
       [--scenarios ganesha-killed,failover,killed-in-grace] [--ganesha host,trixie]
With several Ganeshas the runs of each row alternate between them, one row per Ganesha.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from common import CLIENT, GANESHA_HELP, RELEASE_BINARY, Server, can_run, free_port, ganesha_choices, ganesha_version, using_ganesha


class Client:
    def __init__(self, work, nfs_port, index, probe_grace=True):
        self.out = f"{work}/client-{index}.jsonl"
        self.proc = subprocess.Popen(
            ["python3", CLIENT, "hold", "--server", "127.0.0.1", "--port", str(nfs_port), "--export", "bench",
             "--file", f"f{index}.bin", "--owner", f"bench-client-{index}", "--lock-offset", "0",
             "--lock-length", "100", "--write-bytes", "4096", "--duration", "600",
             "--reconnect-timeout", "180"] + (["--probe-grace"] if probe_grace else []),
            stdout=open(self.out, "w"), stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)

    def event(self, name, nth=1):
        seen = 0
        try:
            for line in open(self.out):
                item = json.loads(line)
                if item.get("event") == name:
                    seen += 1
                    if seen == nth:
                        return item
                if item.get("event") == "error":
                    raise SystemExit(f"client error: {item}")
        except FileNotFoundError:
            pass
        return None

    def wait(self, name, timeout=300, nth=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.event(name, nth)
            if found:
                return found
            time.sleep(0.02)
        raise SystemExit(f"client never reported {name} (#{nth}); see {self.out}")


    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def new_open_accepted(nfs_port, work, timeout=300):
    """When a brand-new client's OPEN is first accepted (grace lifted), probing every 0.5 s."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        out = subprocess.run(["python3", CLIENT, "try-open", "--server", "127.0.0.1", "--port", str(nfs_port),
                              "--export", "bench", "--file", f"new-{attempt}.bin", "--owner", "bench-new"],
                             capture_output=True, text=True).stdout
        answers = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        if any(a.get("event") == "open" and a.get("status") == "NFS4_OK" for a in answers):
            return time.monotonic()
        time.sleep(0.5)
    raise SystemExit(f"no new open accepted within {timeout} s; see {work}")

def one_run(binary, scenario, clients, grace, lease):
    work = tempfile.mkdtemp(prefix="sm-failover-")
    image = f"{work}/bench.img"
    subprocess.run(["truncate", "-s", "256M", image], check=True)
    nfs_port = free_port()
    servers, holders = [], []
    try:
        servers.append(Server(binary, work, image, "a", nfs_port, grace, lease))
        holders = [Client(work, nfs_port, i, probe_grace=scenario != "killed-in-grace") for i in range(clients)]
        for c in holders:
            c.wait("holding", 60)
        killed = time.monotonic()
        if scenario == "killed-in-grace":
            os.kill(servers[0].ganesha_pid(), signal.SIGKILL)
            for c in holders:
                c.wait("reclaimed", 60)
            killed = time.monotonic()
            os.kill(servers[0].ganesha_pid(), signal.SIGKILL)
            first_write = max(c.wait("write-ok", nth=2)["t"] for c in holders) - killed
            return first_write, new_open_accepted(nfs_port, work) - killed
        if scenario == "ganesha-killed":
            os.kill(servers[0].ganesha_pid(), signal.SIGKILL)
        else:
            servers[0].proc.send_signal(signal.SIGKILL)
            servers[0].proc.wait(timeout=10)
            servers[0].remove_leftovers(image)
            servers.append(Server(binary, work, image, "b", nfs_port, grace, lease))
        first_write = max(c.wait("write-ok")["t"] for c in holders) - killed
        new_open = max(c.wait("new-open-ok")["t"] for c in holders) - killed
        return first_write, new_open
    finally:
        for c in holders:
            c.stop()
        for s in reversed(servers):
            s.stop()
        if servers:
            servers[-1].remove_leftovers(image)
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", default="1,10")
    parser.add_argument("--grace", type=int, default=90)
    parser.add_argument("--lease", type=int, default=60)
    parser.add_argument("--scenarios", default="ganesha-killed,failover,killed-in-grace")
    parser.add_argument("--binary", default=RELEASE_BINARY)
    parser.add_argument("--ganesha", default="host", help=GANESHA_HELP)
    args = parser.parse_args()
    if not can_run("failover.py", args.binary):
        return 1
    choices = ganesha_choices(args.ganesha)
    versions = {}
    for label, root in choices:
        with using_ganesha(root):
            versions[label] = ganesha_version()
    print(f"Grace_Period {args.grace} s, Lease_Lifetime {args.lease} s, {args.runs} runs each")
    print("| scenario | clients | Ganesha | first write after kill (median) | new opens accepted (median) |")
    print("|---|---|---|---|---|")
    for scenario in args.scenarios.split(","):
        for clients in [int(c) for c in args.clients.split(",")]:
            results = {label: [] for label, _ in choices}
            for _ in range(args.runs):
                for label, root in choices:
                    with using_ganesha(root):
                        results[label].append(one_run(args.binary, scenario, clients, args.grace, args.lease))
            for label, _ in choices:
                writes = ", ".join(f"{w:.1f}" for w, _ in results[label])
                opens = ", ".join(f"{o:.1f}" for _, o in results[label])
                print(f"| {scenario} | {clients} | {versions[label]} ({label}) "
                      f"| {statistics.median(w for w, _ in results[label]):.1f} s ({writes}) "
                      f"| {statistics.median(o for _, o in results[label]):.1f} s ({opens}) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
