#!/usr/bin/env python3
"""Footprint: RSS and CPU of share-manager, ganesha.nfsd and dbus-daemon, idle and under load.

Starts the release share-manager on a fresh 1 GiB image, then samples /proc/<pid>/status
(VmRSS, VmHWM) and /proc/<pid>/stat (utime + stime) of the three processes:
  idle   every second for --idle-minutes (default 10), no client connected;
  load   every 0.25 s while one nfs-rs client writes 256 MiB --load-writes times
         (Tests/IntegrationTests/Tools/nfs_client.py write: one UNSTABLE batch + COMMIT each).
CPU % is the process's CPU time over the phase's wall time (100 % = one core).
Then it explains share-manager's RSS: /proc/<pid>/smaps_rollup, RSS per mapping, and two
trivial static Swift binaries (swiftc -static-stdlib), one importing Foundation and one not.

Usage (root): bench/footprint.py [--idle-minutes 10] [--load-writes 3] [--binary PATH]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from common import HERE, RELEASE_BINARY, VENV_PYTHON, can_run, free_port, ready

TICK = os.sysconf("SC_CLK_TCK")
NFS_CLIENT = os.path.join(HERE, "..", "Tests", "IntegrationTests", "Tools", "nfs_client.py")


def status_kib(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_ticks(pid, waited_children=False):
    # comm may contain spaces; the fields after its closing parenthesis are fixed.
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    if waited_children:  # the tools share-manager runs (losetup, dumpe2fs, ...) once it reaped them
        return int(fields[13]) + int(fields[14])  # cutime, cstime (stat fields 16 and 17)
    return int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14 and 15)


def children(pid, name):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            comm, rest = stat.split("(", 1)[1].rsplit(")", 1)
            if comm == name and int(rest.split()[1]) == pid:
                found.append(int(entry))
    return found


def sample(pids, seconds, interval, stop_when=None):
    """Returns {name: (rss samples KiB, VmHWM KiB, CPU % over the phase, max CPU % in one interval)}."""
    rss = {n: [] for n in pids}
    peaks = {n: 0.0 for n in pids}
    first = {n: cpu_ticks(p) for n, p in pids.items()}
    sm = pids["share-manager"]
    first_children = cpu_ticks(sm, waited_children=True)
    last, started = dict(first), time.monotonic()
    previous = started
    while True:
        time.sleep(interval)
        now = time.monotonic()
        for n, p in pids.items():
            rss[n].append(status_kib(p, "VmRSS"))
            ticks = cpu_ticks(p)
            peaks[n] = max(peaks[n], (ticks - last[n]) / TICK / (now - previous) * 100)
            last[n] = ticks
        previous = now
        if (stop_when and stop_when()) or (not stop_when and now - started >= seconds):
            break
    wall = time.monotonic() - started
    result = {n: (rss[n], status_kib(p, "VmHWM"), (last[n] - first[n]) / TICK / wall * 100, peaks[n])
              for n, p in pids.items()}
    tools = (cpu_ticks(sm, waited_children=True) - first_children) / TICK / wall * 100
    return result, wall, tools


def print_phase(title, result, wall, tools):
    print(f"\n{title} ({wall:.0f} s)")
    print(f"tools share-manager ran and reaped (its children other than Ganesha and the bus): {tools:.2f} % CPU")
    print("| process | RSS max | RSS mean | VmHWM | CPU % (phase) | CPU % (max 1 interval) |")
    print("|---|---|---|---|---|---|")
    for n, (rss, hwm, cpu, peak) in result.items():
        print(f"| {n} | {max(rss) / 1024:.1f} MiB | {statistics.mean(rss) / 1024:.1f} MiB | {hwm / 1024:.1f} MiB "
              f"| {cpu:.2f} % | {peak:.1f} % |", flush=True)


def rss_by_mapping(pid, top=8):
    """Sums Rss per backing file (or [heap], [anon], ...) from /proc/<pid>/smaps."""
    sums, current = {}, None
    for line in open(f"/proc/{pid}/smaps"):
        parts = line.split()
        if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
            current = parts[5] if len(parts) > 5 else "[anon]"
        elif parts[0] == "Rss:":
            sums[current] = sums.get(current, 0) + int(parts[1])
    return sorted(sums.items(), key=lambda kv: -kv[1])[:top]


def rollup(pid):
    wanted = ("Rss", "Pss", "Shared_Clean", "Private_Clean", "Private_Dirty", "Anonymous")
    values = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        key = line.split(":")[0]
        if key in wanted:
            values[key] = int(line.split()[1])
    return ", ".join(f"{k} {values.get(k, 0) / 1024:.1f} MiB" for k in wanted)


TRIVIAL = [
    # What the Swift runtime and stdlib alone cost, statically linked.
    ("no Foundation, -static-stdlib", "import Glibc\nprint(\"up\")\nwhile true { pause() }\n", ["-static-stdlib"]),
    # The same with Foundation linked in and touched once (Date, String(format:)).
    ("Foundation, -static-stdlib", "import Foundation\nprint(String(format: \"%@ up\", Date().description))\n"
     "while true { pause() }\n", ["-static-stdlib"]),
    # swift-foundation's core, without ICU's data and the internationalization layer.
    ("FoundationEssentials, -static-stdlib", "import FoundationEssentials\nimport Glibc\n"
     "print(Date().timeIntervalSince1970)\nwhile true { pause() }\n", ["-static-stdlib"]),
    # Linked as share-manager is (shared Swift runtime and Foundation libraries).
    ("Foundation, shared libraries", "import Foundation\nprint(String(format: \"%@ up\", Date().description))\n"
     "while true { pause() }\n", []),
]


def trivial_binaries(work):
    print("\n| trivial Swift binary (swiftc -O) | file size | VmRSS after 1 s |")
    print("|---|---|---|")
    for i, (name, source, flags) in enumerate(TRIVIAL):
        src, exe = f"{work}/trivial{i}.swift", f"{work}/trivial{i}"  # not Foundation.swift: module name clash
        with open(src, "w") as f:
            f.write(source)
        built = subprocess.run(["swiftc", "-O", *flags, src, "-o", exe], capture_output=True, text=True)
        if built.returncode != 0:
            print(f"| {name} | does not build: {built.stderr.strip()[-200:]} | |")
            continue
        proc = subprocess.Popen([exe], stdout=subprocess.DEVNULL)
        try:
            time.sleep(1)
            print(f"| {name} | {os.path.getsize(exe) / 1048576:.1f} MiB | {status_kib(proc.pid, 'VmRSS') / 1024:.1f} MiB |")
        finally:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle-minutes", type=float, default=10)
    parser.add_argument("--load-writes", type=int, default=3)
    parser.add_argument("--load-size", type=int, default=256, help="MiB per write")
    parser.add_argument("--binary", default=RELEASE_BINARY)
    args = parser.parse_args()
    if not can_run("footprint.py", args.binary):
        return 1
    work = tempfile.mkdtemp(prefix="sm-footprint-")
    image = f"{work}/bench.img"
    subprocess.run(["truncate", "-s", "1G", image], check=True)
    nfs_port, http_port = free_port(), free_port()
    proc = subprocess.Popen(
        [args.binary, "run", "--volume", "bench", "--device", image, "--mount-point", f"{work}/mnt",
         "--state-dir", f"{work}/state", "--nfs-address", "127.0.0.1", "--nfs-port", str(nfs_port),
         "--http-address", "127.0.0.1", "--http-port", str(http_port), "--grace-period", "10"],
        stdout=open(f"{work}/share-manager.log", "ab"), stderr=subprocess.STDOUT)
    load = None
    try:
        deadline = time.monotonic() + 60
        while not ready(http_port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"share-manager did not become ready; see {work}/share-manager.log")
            time.sleep(0.05)
        pids = {"share-manager": proc.pid,
                "ganesha.nfsd": int(open(f"{work}/state/ganesha.pid").read()),
                "dbus-daemon": children(proc.pid, "dbus-daemon")[0]}
        print(f"share-manager {args.binary} ({os.path.getsize(args.binary) / 1048576:.1f} MiB file); "
              f"no NFS client connected; readiness probes not polled during the idle phase")
        result, wall, tools = sample(pids, args.idle_minutes * 60, 1.0)
        print_phase(f"idle, {args.idle_minutes:g} min, 1 s samples", result, wall, tools)

        # Grace (10 s) is over by now unless the idle phase was shorter; nfs_client retries nothing,
        # so wait for it here.
        time.sleep(max(0.0, 11 - wall))
        url = f"nfs://127.0.0.1:{nfs_port}/bench?version=4.1"
        script = "; ".join(f"{VENV_PYTHON} {NFS_CLIENT} write '{url}' load-{i}.bin {args.load_size * 1048576}"
                           f" >/dev/null" for i in range(args.load_writes))
        load = subprocess.Popen(["sh", "-ec", script])
        result, wall, tools = sample(pids, 0, 0.25, stop_when=lambda: load.poll() is not None)
        if load.returncode != 0:
            raise SystemExit("the load client failed")
        print_phase(f"1-client write load: nfs-rs writes {args.load_writes} x {args.load_size} MiB, "
                    f"0.25 s samples", result, wall, tools)

        print(f"\nshare-manager smaps_rollup: {rollup(proc.pid)}")
        print("share-manager RSS by mapping: " +
              ", ".join(f"{os.path.basename(k) if k else '?'} {v / 1024:.1f} MiB" for k, v in rss_by_mapping(proc.pid)))
        trivial_binaries(work)
    finally:
        if load and load.poll() is None:
            load.kill()
            load.wait()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            subprocess.run(["umount", "-l", f"{work}/mnt"], stderr=subprocess.DEVNULL)
            for line in subprocess.run(["losetup", "-j", image], capture_output=True, text=True).stdout.splitlines():
                subprocess.run(["losetup", "-d", line.split(":")[0]])
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
