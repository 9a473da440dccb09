#!/usr/bin/env python3
"""Failover as the Linux kernel client's applications see it: writes and new opens stalled.

A QEMU guest (bench/kernel_guest.py, the kernel-client tests' fixture) mounts the export with
vers=4.1,noresvport,softerr,timeo=600,retrans=5 and runs the probe's application: 4 KiB +
fsync every 100 ms, a new file every 500 ms. Per run: the slowest write+fsync and the slowest
open(O_CREAT) across the fault ("writes stalled", "new opens stalled"), and when the server
answered again ("served"). Scenarios:
  a  Ganesha SIGKILL, restarted in place (by share-manager, or by bare Ganesha's shell loop).
  b  share-manager + Ganesha SIGKILL; the mount and loop device removed as a volume detach
     would; a fresh instance on the same image and NFS port.
  c  SIGTERM (an orderly stop), the same detach, a fresh instance.
Rows, measured one after the other in the same run, each with a fresh volume and one guest
(its own client identity) booted once for all its scenarios:
  defaults   share-manager with no lease/grace flags
  longhorn   share-manager --lease-lifetime 60 --grace-period 90 (Longhorn's Ganesha set;
             left out, with a note, when that is what the defaults already are)
  lease10    share-manager --lease-lifetime 10 --grace-period 30
  lease5     share-manager --lease-lifetime 5 --grace-period 15 (too short for the Linux
             client, which renews no sooner than 5 s after the last renewal: an idle
             client's lease expires; its idle minute shows it)
  fast       share-manager --fast-failover true (the preset: lease 7, grace 21)
  nokeep     share-manager --keep-connections false: clients' connections close with Ganesha
             and meet the port hold (the baseline of connection keeping)
  bare       ganesha.nfsd -F under `while :; do ganesha.nfsd -F ...; done`, a config like
             Longhorn's (Lease 60, Grace 90, NFSv4.1/4.2 only) with the fs recovery backend in a
             folder on the volume; for b and c the bench plays the orchestrator (loop killed,
             Ganesha SIGKILLed or SIGTERMed, detach, a new mount and loop).
Runs go a, b, c, a, b, c, ...; an in-place kill that would be an instance's second is
preceded by an unmeasured handoff to a fresh instance (share-manager's restart back-off
would otherwise be measured). The bench runs in a mount namespace of its own.
--row NAME='FLAGS' adds a row (or replaces one) with more `share-manager run` flags, e.g.
--row fast='--fast-failover'. Rows named in --idle-rows also get an idle minute with the
application stopped: the RPCs the guest's client sent, per operation (its mountstats; an
idle NFSv4.1 client only renews its lease, with SEQUENCE-only compounds), the NFSv4 requests
Ganesha counted (/metrics), and the CPU seconds of Ganesha and share-manager.

Usage (root, after `swift build -c release` and scripts/kernel-client.sh):
  bench/failover-kernel.py [--runs 5] [--scenarios a,b,c] [--rows defaults,...,bare]
      [--row NAME='FLAGS'] [--idle-rows defaults,lease10,fast] [--idle-seconds 60]
      [--json FILE] [--quick]
--quick: one run of a and c on lease10 and no idle minute (under a minute on a quiet
machine), a check of the bench, not figures.
"""
import argparse
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from common import RELEASE_BINARY, can_run, free_port
from failover_servers import Bare, Managed
from footprint import TICK, cpu_ticks
from kernel_guest import Guest, missing

SCENARIOS = {"a": "Ganesha SIGKILL, in place", "b": "share-manager + Ganesha SIGKILL, fresh instance",
             "c": "SIGTERM, fresh instance"}
ROWS = {"defaults": "", "longhorn": "--lease-lifetime 60 --grace-period 90",
        "lease10": "--lease-lifetime 10 --grace-period 30", "lease5": "--lease-lifetime 5 --grace-period 15",
        "fast": "--fast-failover true", "nokeep": "--keep-connections false", "bare": None}
GUEST_DIR = "/mnt/sm"


def stats(guest):
    event = guest.request("stats", {"stats"})
    if event["errors"]:
        raise SystemExit(f"the application saw {event['errors']} error(s): {event}")
    return event


def settle(guest, timeout=300):
    """Polls the application every second until both the writer and the opener completed
    calls in two intervals in a row, i.e. nothing is stalled; returns the slowest write and
    open since the last poll before it. Called once the server answers again: before that
    the intervals would show calls completed before the client met the fault."""
    deadline = time.monotonic() + timeout
    previous, flowing = stats(guest), 0
    slowest_write, slowest_open = previous["max_write_s"], previous["max_open_s"]
    while flowing < 2:
        if time.monotonic() > deadline:
            raise SystemExit(f"the application did not resume within {timeout} s")
        time.sleep(1)
        now = stats(guest)
        slowest_write, slowest_open = max(slowest_write, now["max_write_s"]), max(slowest_open, now["max_open_s"])
        flowing = flowing + 1 if now["blocks"] > previous["blocks"] and now["opens"] > previous["opens"] else 0
        previous = now
    return slowest_write, slowest_open


def one_run(guest, server, scenario):
    if server.needs_fresh_instance(scenario):
        server.fault("c")  # not measured
    settle(guest)
    time.sleep(1)
    stats(guest)  # resets the maxima: what follows is the fault's
    started = time.monotonic()
    server.fault(scenario)
    served = time.monotonic() - started
    writes, opens = settle(guest)
    return {"writes": writes, "opens": opens, "served": served}


def idle_cost(guest, server, seconds):
    """Per minute with the application stopped: the RPCs the guest's client sent per NFS
    operation (its mountstats: an idle client only renews its lease, SEQUENCE-only compounds
    in NFSv4.1), the NFSv4 requests Ganesha counted (/metrics), and CPU seconds."""
    guest.request("app-stop", {"app-stopped"})
    time.sleep(5)
    pids = server.pids()
    cpu0 = {name: cpu_ticks(pid) / TICK for name, pid in pids.items()}
    requests0, ops0 = server.nfsv4_requests(), guest.request(f"mountstats {GUEST_DIR}", {"mountstats"})["ops"]
    time.sleep(seconds)
    ops1 = guest.request(f"mountstats {GUEST_DIR}", {"mountstats"})["ops"]
    requests1 = server.nfsv4_requests()
    scale = 60 / seconds
    result = {f"{name}_cpu_s_per_min": (cpu_ticks(pid) / TICK - cpu0[name]) * scale for name, pid in pids.items()}
    result["client_rpcs_per_min"] = {op: (n - ops0.get(op, 0)) * scale for op, n in ops1.items() if n != ops0.get(op, 0)}
    result["ganesha_requests_per_min"] = None if requests0 is None or requests1 is None else (requests1 - requests0) * scale
    return result


def measure_row(args, name, flags, scenarios, work):
    image = f"{work}/{name}.img"
    subprocess.run(["truncate", "-s", "256M", image], check=True)
    nfs_port = free_port()
    server = Bare(work, image, nfs_port) if flags is None else Managed(args.binary, work, image, nfs_port, shlex.split(flags))
    guest = None
    results = {s: [] for s in scenarios}
    try:
        server.start()
        # A client identity of its own per row: a row's records never meet another's.
        guest = Guest(f"kb-{name}-{os.getpid()}"[:60], work)
        guest.mount(GUEST_DIR, nfs_port, "bench")
        guest.request(f"app {GUEST_DIR}", {"app-started"})
        # Runs outermost: a, b, c, a, b, c, ... so that an in-place restart mostly follows a
        # handoff to a fresh instance and needs no extra one.
        for n in range(args.runs):
            for scenario in scenarios:
                run = one_run(guest, server, scenario)
                results[scenario].append(run)
                print(f"  {name} {scenario} run {n + 1}: writes stalled {run['writes']:.2f} s, new opens stalled "
                      f"{run['opens']:.2f} s, served again after {run['served']:.2f} s", flush=True)
        idle = None
        if name in args.idle_rows and args.idle_seconds > 0:
            try:
                idle = idle_cost(guest, server, args.idle_seconds)
            except SystemExit as failure:  # the row's fault figures still count
                print(f"  {name} idle: not measured: {failure}", flush=True)
        if idle:
            print(f"  {name} idle: {idle}", flush=True)
        return results, idle
    finally:
        if guest:
            guest.stop()
        server.stop()


def spread(values):
    return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def help_defaults(binary):
    """(lease, grace) that `run` uses when given neither."""
    text = subprocess.run([binary, "run", "--help"], capture_output=True, text=True).stdout
    # Each option's help runs until the next line that starts an option.
    blocks = [re.search(rf"--{flag} <[^>]+>(.*?)(?=\n\s*--|\Z)", text, re.S) for flag in ("lease-lifetime", "grace-period")]
    found = [re.search(r"default:?\s*(\d+)", b.group(1)) if b else None for b in blocks]
    return tuple(int(f.group(1)) if f else None for f in found)


def main() -> int:
    # SIGTERM (and SIGINT, which a background job ignores) end the bench through its clean-up:
    # every guest, server and loop device it started is stopped or removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if os.environ.get("SM_BENCH_OWN_MOUNTS") != "1":
        # Our own mount namespace: a namespace another process creates meanwhile (tests of
        # the same machine do) copies every mount there is, and a volume mounted then stays
        # busy after our detach until that namespace ends (a fresh instance waited > 30 s).
        os.environ["SM_BENCH_OWN_MOUNTS"] = "1"
        os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable] + sys.argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scenarios", default="a,b,c")
    parser.add_argument("--rows", default="defaults,longhorn,lease10,fast,nokeep,bare")
    parser.add_argument("--row", action="append", default=[], metavar="NAME='FLAGS'",
                        help="a row of share-manager with these extra `run` flags (repeatable)")
    parser.add_argument("--idle-rows", default="defaults,lease10,fast")
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--binary", default=RELEASE_BINARY)
    parser.add_argument("--json", help="also write every run's figures here")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.scenarios, args.rows, args.idle_seconds = 1, "a,c", "lease10", 0
    rows = {name: ROWS[name] for name in args.rows.split(",") if name}
    for spec in args.row:
        name, _, flags = spec.partition("=")
        rows[name] = flags
    args.idle_rows = args.idle_rows.split(",")
    scenarios = args.scenarios.split(",")
    if not can_run("failover-kernel.py", args.binary):
        return 1
    if why := missing():
        print(f"failover-kernel.py: {why}", file=sys.stderr)
        return 1
    if "longhorn" in rows and help_defaults(args.binary) == (60, 90) and "defaults" in rows:
        print("note: share-manager's defaults are Longhorn's Lease 60 / Grace 90; the longhorn row is the defaults row")
        del rows["longhorn"]
    began = time.monotonic()
    work = tempfile.mkdtemp(prefix="sm-failover-kernel-")
    table, idle = {}, {}
    print(f"{args.runs} runs per scenario; work folder {work}", flush=True)
    for name, flags in rows.items():
        row_started = time.monotonic()
        table[name], idle[name] = measure_row(args, name, flags, [s for s in scenarios if s in SCENARIOS], work)
        print(f"row {name} ({flags if flags is not None else 'bare ganesha.nfsd'}): {time.monotonic() - row_started:.0f} s", flush=True)
    print(f"\nkernel client, {args.runs} runs each: median (min–max); total {time.monotonic() - began:.0f} s\n")
    print("| scenario | row | writes stalled | new opens stalled | served again |")
    print("|---|---|---|---|---|")
    for scenario in scenarios:
        for name, flags in rows.items():
            runs = table[name].get(scenario)
            if runs:
                print(f"| {SCENARIOS[scenario]} | {name} (`{flags or ('bare' if flags is None else 'no flags')}`) "
                      f"| {spread([r['writes'] for r in runs])}; ≤ 0.5 s in {sum(r['writes'] <= 0.5 for r in runs)} of {len(runs)} "
                      f"| {spread([r['opens'] for r in runs])} "
                      f"| {spread([r['served'] for r in runs])} |")
    if any(idle.values()):
        print("\n| row | client RPCs per idle minute, by operation | NFSv4 requests Ganesha counted per idle minute "
              "| Ganesha CPU s per idle minute | share-manager CPU s per idle minute |")
        print("|---|---|---|---|---|")
        for name, cost in idle.items():
            if cost:
                rpcs = ", ".join(f"{op} {n:.1f}" for op, n in sorted(cost["client_rpcs_per_min"].items())) or "none"
                counted = cost["ganesha_requests_per_min"]
                print(f"| {name} | {rpcs} | {'?' if counted is None else f'{counted:.1f}'} "
                      f"| {cost['ganesha_cpu_s_per_min']:.2f} | {cost.get('share-manager_cpu_s_per_min', 0):.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "runs": table, "idle": idle}, f, indent=1)
    subprocess.run(["rm", "-rf", work])
    return 0


if __name__ == "__main__":
    sys.exit(main())
