#!/usr/bin/env python3
"""Probes under a slow-loris crowd: /healthz, /readyz and an authorised control request.

Starts the release share-manager on a fresh 256 MiB image with the control API on TCP (a
bearer token), then, in each run, side by side:
  baseline  the probes alone, for --seconds;
  crowd     the same probes while --connections connections on the probe port and as many
            on the control port each send a request line and then one header byte a
            second, never finishing the head; one the server closes is opened again at
            once (a separate process, so that it does not share the probers' interpreter).
Each probe is a new connection every 100 ms with `Connection: close`, counted as answered
when a 200 arrives within 1 s (the kubelet's default probe timeout). Reported per run and
as the median of the runs: the share answered within 1 s, p50 / p99 latency (a miss counts
as 1 s), the longest run of misses, and share-manager's CPU and RSS over the phase.
Goal: in the crowd, >= 99 % answered within 1 s and never 2 misses in a row.

Usage (root, after `swift build -c release`): bench/slowloris.py [--runs 3] [--seconds 10]
       [--connections 300] [--binary PATH]
"""
import argparse
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from common import RELEASE_BINARY, can_run, free_port, ready

PROBES = ("/healthz", "/readyz", "control")
OPENING = b"GET /v1/status HTTP/1.1\r\nHost: share-manager\r\n"
DRIP = b"X-Slow: " + b"s" * 64


def crowd(ports, per_port, up, stop, tally):
    """The attackers: per_port connections on each port, one header byte a second each."""
    import selectors
    sel = selectors.DefaultSelector()
    slots = [(port, None, 0) for port in ports for _ in range(per_port)]
    opened = closed = 0
    next_drip = time.monotonic() + 1

    def drop(i):
        nonlocal closed
        sel.unregister(slots[i][1])
        slots[i][1].close()
        slots[i] = (slots[i][0], None, 0)
        closed += 1

    while not stop.is_set():
        for i, (port, sock, _) in enumerate(slots):
            if sock is None:
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=0.2)
                    sock.sendall(OPENING)
                    sock.setblocking(False)
                except OSError:
                    continue
                slots[i] = (port, sock, 0)
                sel.register(sock, selectors.EVENT_READ, i)
                opened += 1
        if opened >= len(slots):
            up.set()
        for key, _ in sel.select(timeout=max(0.0, min(0.1, next_drip - time.monotonic()))):
            try:
                if not key.fileobj.recv(4096):
                    drop(key.data)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                drop(key.data)
        if time.monotonic() >= next_drip:
            next_drip += 1
            for i, (port, sock, sent) in enumerate(slots):
                if sock is None:
                    continue
                try:
                    sock.send(DRIP[sent % len(DRIP):sent % len(DRIP) + 1])
                    slots[i] = (port, sock, sent + 1)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    drop(i)
    for _, sock, _ in slots:
        if sock is not None:
            sock.close()
    tally.put((opened, closed))


def probe(port, request) -> float | None:
    """Seconds to a whole 200 answer, or None when none came within 1 s."""
    start = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(request)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
                if time.perf_counter() - start > 1:
                    return None
    except OSError:
        return None
    elapsed = time.perf_counter() - start
    return elapsed if data.startswith(b"HTTP/1.1 200") and elapsed <= 1 else None


def probe_series(port, request, seconds, out):
    results, start = [], time.monotonic()
    while time.monotonic() - start < seconds:
        slot = time.monotonic()
        results.append(probe(port, request))
        time.sleep(max(0.0, slot + 0.1 - time.monotonic()))
    out.extend(results)


def proc_usage(pid):
    """(CPU seconds so far, RSS in MiB) of a process."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = next(int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS")) / 1024
    return cpu, rss


def phase(sm, http_port, control_port, token, seconds, connections):
    requests = {
        "/healthz": (http_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        "/readyz": (http_port, b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        "control": (control_port, f"GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                                  f"Connection: close\r\n\r\n".encode()),
    }
    attackers, stop, tally = None, multiprocessing.Event(), multiprocessing.Queue()
    if connections:
        up = multiprocessing.Event()
        attackers = multiprocessing.Process(target=crowd, args=([http_port, control_port], connections, up, stop, tally))
        attackers.start()
        if not up.wait(30):
            stop.set()
            raise SystemExit("the crowd did not stand up within 30 s")
    cpu0, _ = proc_usage(sm.pid)
    results = {name: [] for name in PROBES}
    threads = [threading.Thread(target=probe_series, args=(*requests[n], seconds, results[n])) for n in PROBES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu1, rss = proc_usage(sm.pid)
    opened = closed = 0
    if attackers:
        stop.set()
        opened, closed = tally.get(timeout=30)
        attackers.join(timeout=30)
    return {"probes": {n: summarize(r) for n, r in results.items()}, "cpu": (cpu1 - cpu0) / seconds * 100,
            "rss": rss, "opened": opened, "closed": closed}


def summarize(results):
    times = sorted(r if r is not None else 1.0 for r in results)
    run = longest = 0
    for r in results:
        run = run + 1 if r is None else 0
        longest = max(longest, run)
    answered = sum(r is not None for r in results)
    return {"count": len(results), "answered": answered / max(1, len(results)) * 100, "longest": longest,
            "p50": times[len(times) // 2] * 1000, "p99": times[min(len(times) - 1, int(0.99 * len(times)))] * 1000}


def line(name, p):
    return (f"{name:9s} {p['answered']:6.2f} % of {p['count']:3d} within 1 s, p50 {p['p50']:7.2f} ms, "
            f"p99 {p['p99']:7.2f} ms, longest miss run {p['longest']}")


def start(binary, work, image, http_port, control_port, token_file):
    log = open(f"{work}/share-manager.log", "ab")
    proc = subprocess.Popen(
        [binary, "run", "--volume", "bench", "--device", image, "--mount-point", f"{work}/mnt",
         "--state-dir", f"{work}/state", "--nfs-address", "127.0.0.1", "--nfs-port", str(free_port()),
         "--http-address", "127.0.0.1", "--http-port", str(http_port), "--control-port", str(control_port),
         "--control-token-file", token_file, "--grace-period", "5", "--lease-lifetime", "5"],
        stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while not ready(http_port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"share-manager did not become ready; see {work}/share-manager.log")
        time.sleep(0.05)
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=300, help="slow connections on each of the two ports")
    parser.add_argument("--binary", default=RELEASE_BINARY)
    args = parser.parse_args()
    if not can_run("slowloris.py", args.binary):
        return 1
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2 * args.connections + 256
    if soft < needed:  # the attacker process inherits it
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    work = tempfile.mkdtemp(prefix="sm-slowloris-")
    image = f"{work}/bench.img"
    subprocess.run(["truncate", "-s", "256M", image], check=True)
    token, token_file = os.urandom(20).hex(), f"{work}/token"
    with open(os.open(token_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(token + "\n")
    http_port, control_port = free_port(), free_port()
    sm = None
    try:
        sm = start(args.binary, work, image, http_port, control_port, token_file)
        runs = []
        for i in range(args.runs):
            base = phase(sm, http_port, control_port, token, args.seconds, 0)
            loaded = phase(sm, http_port, control_port, token, args.seconds, args.connections)
            runs.append((base, loaded))
            print(f"run {i + 1}:")
            for name in PROBES:
                print(f"  {line(name, base['probes'][name])}   | with {args.connections}+{args.connections} slow: "
                      f"{line(name, loaded['probes'][name])}")
            print(f"  share-manager CPU {base['cpu']:.1f} % / {loaded['cpu']:.1f} % of one core, RSS {base['rss']:.1f} / "
                  f"{loaded['rss']:.1f} MiB (baseline / crowd); crowd opened {loaded['opened']}, server closed "
                  f"{loaded['closed']}", flush=True)
        print(f"median of {args.runs} runs, baseline | crowd of {args.connections} slow connections on each port:")
        met = True
        for name in PROBES:
            med = {}
            for label, index in (("base", 0), ("crowd", 1)):
                ps = [r[index]["probes"][name] for r in runs]
                med[label] = {k: statistics.median(p[k] for p in ps) for k in ("answered", "p50", "p99")}
                med[label]["longest"] = max(p["longest"] for p in ps)
                med[label]["count"] = round(statistics.median(p["count"] for p in ps))
            worst = min(r[1]["probes"][name]["answered"] for r in runs)
            met = met and worst >= 99 and med["crowd"]["longest"] < 2
            print(f"  {line(name, med['base'])}   | {line(name, med['crowd'])} (worst run {worst:.2f} %)")
        print(f"goal >= 99 % within 1 s and never 2 misses in a row, every run: {'met' if met else 'NOT met'}")
        return 0 if met else 2
    finally:
        if sm and sm.poll() is None:
            sm.send_signal(signal.SIGTERM)
            sm.wait(timeout=30)
        subprocess.run(["umount", "-l", f"{work}/mnt"], check=False, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
