#!/usr/bin/env python3
"""Runs every benchmark here one after the other and prints one summary table.

  startup.py, throughput.py, footprint.py, failover.py, metrics.py, slowloris.py
Each script's own output goes to --out (default bench-results-<time>.md in the current
directory) in full; the summary picks the headline figures out of it, next to each goal.
--quick runs every script with tiny sizes and few runs (a smoke test of the scripts, not
figures to publish). Needs root and a release binary (--binary or SHARE_MANAGER_BINARY).

Usage (root): bench/all.py [--quick] [--binary PATH] [--idle-minutes 10] [--out FILE]
"""
import argparse
import os
import platform
import re
import subprocess
import sys
import time

from common import HERE, RELEASE_BINARY


def machine(binary):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    ram = int(open("/proc/meminfo").readline().split()[1]) / 1024 / 1024
    debian = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    ganesha = subprocess.run(["ganesha.nfsd", "-v"], capture_output=True, text=True).stdout
    ganesha = re.search(r"Release = (\S+)", ganesha)
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True)
    swift = re.search(r"Swift version (\S+)", swift.stdout + swift.stderr)
    return (f"{cpu}, {os.cpu_count()} cores, {ram:.1f} GiB RAM, kernel {platform.release()}, Debian {debian}, "
            f"Ganesha {ganesha.group(1) if ganesha else '?'}, Swift {swift.group(1) if swift else '?'}; "
            f"binary {binary}")


def run(name, args, out):
    print(f"== {name} {' '.join(args)}", flush=True)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, os.path.join(HERE, name)] + args, capture_output=True, text=True)
    out.write(f"\n## {name} {' '.join(args)} (exit {proc.returncode}, {time.monotonic() - started:.0f} s)\n\n```\n"
              f"{proc.stdout}{proc.stderr}```\n")
    out.flush()
    if proc.returncode not in (0, 2):  # metrics.py and slowloris.py exit 2 when their goal is missed: still figures
        print(proc.stdout + proc.stderr, file=sys.stderr)
        print(f"{name} failed (exit {proc.returncode})", file=sys.stderr)
    return proc.stdout


def cell(pattern, text, group=1, default="?"):
    found = re.search(pattern, text, re.M)
    return found.group(group) if found else default


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--binary", default=RELEASE_BINARY)
    parser.add_argument("--idle-minutes", type=float, default=10)
    parser.add_argument("--out", default=f"bench-results-{time.strftime('%Y%m%d-%H%M%S')}.md")
    parser.add_argument("--only", default="startup,throughput,footprint,failover,metrics,slowloris")
    args = parser.parse_args()
    binary = ["--binary", args.binary]
    q = args.quick
    plan = {
        "startup": ["--runs", "1" if q else "9"],
        "throughput": ["--runs", "1", "--size", "16"] if q else ["--runs", "3"],
        "footprint": ["--idle-minutes", "0.1", "--load-writes", "1", "--load-size", "16"] if q
        else ["--idle-minutes", str(args.idle_minutes)],
        "failover": ["--runs", "1", "--clients", "1", "--grace", "15", "--lease", "10"] if q else ["--runs", "3"],
        "metrics": ["--clients", "5", "--scrapes", "50"] if q else [],
        "slowloris": ["--runs", "1", "--seconds", "3", "--connections", "50"] if q else [],
        # Not in the default --only: QEMU guests, about half an hour (docs/benchmarks.md).
        "failover-kernel": ["--quick"] if q else [],
    }
    outputs = {}
    with open(args.out, "w") as out:
        out.write(f"# share-manager benchmarks{' (quick mode: not figures)' if q else ''}\n\n"
                  f"{time.strftime('%Y-%m-%d %H:%M')}; {machine(args.binary)}\n")
        for name in args.only.split(","):
            outputs[name] = run(f"{name}.py", plan[name] + binary, out)

        rows = []
        s = outputs.get("startup", "")
        if s:
            rows.append(("start → ready, existing ext4 (median)",
                         cell(r"share-manager start->/readyz 200 ([0-9.]+ ms)", s) + " vs bare ganesha.nfsd "
                         + cell(r"bare ganesha.nfsd start->listening ([0-9.]+ ms)", s),
                         cell(r"ratio ([0-9.]+x)", s), "≤ 1.5×"))
            rows.append(("start → ready, block device (median)",
                         cell(r"^median, block device: share-manager ([0-9.]+ ms)", s) + " vs by hand (blkid -p, e2fsck -p, mount, ganesha.nfsd) "
                         + cell(r"by hand \(blkid -p, e2fsck -p, mount, ganesha.nfsd\) ([0-9.]+ ms)", s),
                         cell(r"by hand .*?\(ratio ([0-9.]+x)\)", s) + " (vs bare: "
                         + cell(r"^median, block device: .*?\(ratio ([0-9.]+x)\)", s) + ")", ""))
        t = outputs.get("throughput", "")
        for target in ("share-manager", "longhorn", "local"):
            row = re.search(rf"^\| {target} \| (\S+) \| (\S+) \| (\S*) \| (\S*) \| (\S*) \| (\S*) \|$", t, re.M)
            if row:
                w, r, wl, rl, wh, rh = row.groups()
                ratio = "; ".join(x for x in (f"vs local write {wl}, read {rl}" if wl else "",
                                              f"vs Longhorn's set write {wh}, read {rh}" if wh else "") if x)
                goal = "write ≥ 0.5×, read ≥ 0.8× local; ≥ 1.0× Longhorn" if target == "share-manager" else ""
                rows.append((f"throughput, {target}", f"write {w} MiB/s, read {r} MiB/s", ratio, goal))
        f = outputs.get("footprint", "")
        for phase in ("idle", "1-client write load"):
            block = f.split(f"\n{phase}", 1)[1] if f"\n{phase}" in f else ""
            row = re.search(r"^\| share-manager \| ([0-9.]+ MiB) \| ([0-9.]+ MiB) \| ([0-9.]+ MiB) \| ([0-9.]+ %)",
                            block, re.M)
            if row:
                length = cell(r"^, ([0-9.]+ min)", block) if phase == "idle" else "load"
                rows.append((f"share-manager footprint, {phase}" + (f" ({length})" if phase == "idle" else ""),
                             f"RSS max {row.group(1)}, mean {row.group(2)}; CPU {row.group(4)}", "",
                             "≤ 25 MiB RSS" + (", CPU ≤ 0.5 %" if phase == "idle" else "")))
        fo = outputs.get("failover", "")
        for row in re.finditer(r"^\| (ganesha-killed|failover|killed-in-grace) \| (\d+) \| [^|]*\| ([0-9.]+ s)[^|]*\| ([0-9.]+ s)", fo, re.M):
            rows.append((f"failover: {row.group(1)}, {row.group(2)} client(s) (median)",
                         f"first write {row.group(3)}, new opens {row.group(4)}", "", "vs Grace_Period"))
        m = outputs.get("metrics", "")
        if m:
            rows.append(("/metrics latency", cell(r"^/metrics latency: (.*?);", m),
                         cell(r"^(\d+ scrapes, \d+ clients)", m), "p99 ≤ 10 ms"))
        sl = outputs.get("slowloris", "").split("\nmedian of", 1)[-1]
        crowd_size = cell(r"crowd of (\d+) slow connections", sl)
        for row in re.finditer(r"^  (\S+)\s+([0-9.]+ %) of .*?p99\s+([0-9.]+ ms).*?\|\s+\S+\s+([0-9.]+ %) of .*?p99\s+([0-9.]+ ms), "
                               r"longest miss run (\d+)", sl, re.M):
            name, base, base_p99, crowd, crowd_p99, misses = row.groups()
            rows.append((f"{name} under {crowd_size}+{crowd_size} slow-loris connections (median)",
                         f"{crowd} within 1 s, p99 {crowd_p99}, longest miss run {misses}",
                         f"no crowd: {base}, p99 {base_p99}", "≥ 99 %, never 2 misses in a row"))
        summary = "| benchmark | figure | ratio / context | goal |\n|---|---|---|---|\n" + \
                  "".join(f"| {a} | {b} | {c} | {d} |\n" for a, b, c, d in rows)
        out.write("\n## Summary\n\n" + summary)
    print("\n" + summary + f"\nFull output: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
