#!/usr/bin/env python3
"""Sequential throughput: NFSv4.1 over loopback vs the local ext4 mount underneath.

One image file (1 GiB, formatted ext4 by share-manager at its first start) serves, in turn:
  share-manager  the release binary with its rendered config (or --templates-dir's)
  longhorn       a bare ganesha.nfsd with Longhorn share-manager's parameter set, on the
                 same filesystem mounted by hand, with its own private dbus-daemon
  local          the same ext4 mount, no NFS
Each run writes --size MiB sequentially and makes it durable, then drops the page cache
(echo 3 > /proc/sys/vm/drop_caches) and reads it back, so every read comes from the device.
NFS: nfs-rs (.venv) `File.write` of --commit-every MiB per call: nfs-rs splits each call into
max_write-sized UNSTABLE WRITEs (up to 8 in flight) and ends it with one COMMIT.
Local: 1 MiB write() calls with an fsync() (the local COMMIT) after every --commit-every
MiB; 1 MiB read() calls.
A run that fails with an nfs-rs error is retried (at most twice) and counted: nfs-rs 0.8.7
sometimes gets NFS4ERR_RETRY_UNCACHED_REP from Ganesha 4.3 in the middle of a long
write call, and the figures are about speed, not that.
Median of --runs runs, MiB/s; ratios vs local and vs longhorn.

Usage (root): bench/throughput.py [--runs 3] [--size 256] [--servers share-manager,longhorn,local]
              [--templates-dir DIR] [--binary PATH]
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

from common import RELEASE_BINARY, TEMPLATES, can_run, drop_caches, free_port, ready, use_venv, wait_for

MiB = 1024 * 1024

# Longhorn's share-manager renders these (its ganesha config and export template); the
# recovery backend is `fs` here because theirs (`longhorn`) needs their Ganesha fork.
LONGHORN_CONFIG = """NFS_Core_Param {{
    Enable_NLM = false;
    Enable_RQUOTA = false;
    Enable_UDP = false;
    fsid_device = false;
    Protocols = 4;
    NFS_Port = {port};
    Bind_addr = 127.0.0.1;
}}
NFSV4 {{
    Lease_Lifetime = 60;
    Grace_Period = 90;
    Minor_Versions = 0, 1, 2;
    Only_Numeric_Owners = true;
    RecoveryBackend = fs;
    RecoveryRoot = "{recovery}";
}}
EXPORT {{
    Export_Id = 1;
    Path = "{path}";
    Pseudo = "/bench";
    Access_Type = RW;
    Squash = None;
    SecType = sys;
    Transports = TCP;
    Protocols = 4;
    FSAL {{
        Name = VFS;
    }}
}}
"""


def stop(proc, timeout=30):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def connect(port):
    """Connects once a new open is accepted: Ganesha refuses opens during its grace
    period (lifted early when no client has a record to reclaim)."""
    from nfs_rs import Client
    deadline = time.monotonic() + 120
    while True:
        client = None
        try:
            client = Client.connect(f"nfs://127.0.0.1:{port}/bench?version=4.1", connect_timeout=10,
                                    operation_timeout=120)
            with client.open("probe", "wb") as f:
                f.write(b"x")
            client.remove("probe")
            return client
        except Exception:
            if client:
                client.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def nfs_runs(port, data, runs, commit_every):
    """Returns [(write MiB/s, read MiB/s)], the negotiated I/O sizes and the failed attempts.
    The first run is a warm-up, printed but not counted: a fresh Ganesha grows its buffers
    and caches (RSS 32 -> 70 MiB) during its first large write."""
    from nfs_rs import NfsError
    client = connect(port)
    results, failed = [], []
    view = memoryview(data)
    try:
        limits = client.io_limits
        i = 0
        while len(results) < runs + 1:
            i += 1
            name = f"tp-{i}.bin"
            start = time.perf_counter()
            try:
                with client.open(name, "wb") as f:
                    for off in range(0, len(data), commit_every):
                        piece = view[off:off + commit_every]
                        if f.write(piece) != len(piece):  # returns after this call's COMMIT
                            raise SystemExit("short NFS write")
            except NfsError as error:
                failed.append(type(error).__name__ + ": " + str(error).splitlines()[0])
                if len(failed) > 2:
                    raise
                client.close()
                client = connect(port)
                client.remove(name, missing_ok=True)  # the partial file, so the image does not fill up
                continue
            write = time.perf_counter() - start
            drop_caches()
            start = time.perf_counter()
            with client.open(name, "rb") as f:
                got = f.read()
            read = time.perf_counter() - start
            if len(got) != len(data):
                raise SystemExit(f"NFS read {len(got)} bytes of {len(data)}")
            del got
            client.remove(name)
            results.append((len(data) / MiB / write, len(data) / MiB / read))
        print(f"  warm-up run, not counted: {results[0][0]:.0f}/{results[0][1]:.0f} MiB/s", flush=True)
        return results[1:], (limits.max_write, limits.max_read), failed
    finally:
        client.close()


def local_runs(directory, data, runs, commit_every):
    results = []
    view = memoryview(data)
    for i in range(runs + 1):  # the first one a warm-up, as for NFS
        path = f"{directory}/tp-{i}.bin"
        start = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for off in range(0, len(data), MiB):
            os.write(fd, view[off:off + MiB])
            if (off + MiB) % commit_every == 0 or off + MiB >= len(data):
                os.fsync(fd)
        os.close(fd)
        write = time.perf_counter() - start
        drop_caches()
        start = time.perf_counter()
        fd = os.open(path, os.O_RDONLY)
        total = 0
        while chunk := os.read(fd, MiB):
            total += len(chunk)
        os.close(fd)
        read = time.perf_counter() - start
        if total != len(data):
            raise SystemExit(f"local read {total} bytes of {len(data)}")
        os.unlink(path)
        results.append((len(data) / MiB / write, len(data) / MiB / read))
    print(f"  warm-up run, not counted: {results[0][0]:.0f}/{results[0][1]:.0f} MiB/s", flush=True)
    return results[1:]


def run_share_manager(binary, work, image, templates, data, runs, commit_every, extra=()):
    nfs_port, http_port = free_port(), free_port()
    args = [binary, "run", *extra, "--volume", "bench", "--device", image, "--mount-point", f"{work}/sm-mnt",
            "--state-dir", f"{work}/sm-state", "--nfs-address", "127.0.0.1", "--nfs-port", str(nfs_port),
            "--http-address", "127.0.0.1", "--http-port", str(http_port)]
    if templates:
        args += ["--templates-dir", templates]
    proc = subprocess.Popen(args, stdout=open(f"{work}/share-manager.log", "ab"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: ready(http_port) or proc.poll() is not None, 60, "share-manager /readyz")
        if proc.poll() is not None:
            raise SystemExit(f"share-manager exited {proc.returncode}; see {work}/share-manager.log")
        return nfs_runs(nfs_port, data, runs, commit_every)
    finally:
        stop(proc)  # orderly stop: unmounts and detaches the loop device itself


class Mounted:
    """The image attached and mounted by hand, undone on exit (also on failure)."""

    def __init__(self, image, mount):
        self.image, self.mount, self.loop = image, mount, None

    def __enter__(self):
        os.makedirs(self.mount, exist_ok=True)
        self.loop = subprocess.run(["losetup", "--find", "--show", self.image], check=True,
                                   capture_output=True, text=True).stdout.strip()
        try:
            subprocess.run(["mount", "-o", "errors=remount-ro", self.loop, self.mount], check=True)
        except Exception:
            subprocess.run(["losetup", "-d", self.loop])
            raise
        return self

    def __exit__(self, *exc):
        subprocess.run(["umount", self.mount])
        subprocess.run(["losetup", "-d", self.loop])


def run_longhorn(work, image, data, runs, commit_every):
    home = f"{work}/longhorn"
    os.makedirs(f"{home}/recovery", exist_ok=True)
    with Mounted(image, f"{work}/lh-mnt") as m:
        port = free_port()
        with open(f"{home}/ganesha.conf", "w") as f:
            f.write(LONGHORN_CONFIG.format(port=port, recovery=f"{home}/recovery", path=f"{m.mount}/data"))
        bus_conf = f"{home}/bus.conf"
        template = open(os.path.join(TEMPLATES, "dbus-system-bus.conf.mustache")).read()
        with open(bus_conf, "w") as f:  # drop the mustache pragma line, fill the one variable
            f.write(template.split("\n", 1)[1].replace("{{runDirectory}}", home))
        bus = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={bus_conf}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ganesha = None
        try:
            wait_for(lambda: os.path.exists(f"{home}/system_bus_socket"), 10, "the private bus")
            env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={home}/system_bus_socket")
            ganesha = subprocess.Popen(["ganesha.nfsd", "-F", "-f", f"{home}/ganesha.conf", "-L",
                                        f"{home}/ganesha.log", "-p", f"{home}/ganesha.pid"], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return nfs_runs(port, data, runs, commit_every)
        finally:
            stop(ganesha)
            stop(bus, 10)


def run_local(work, image, data, runs, commit_every):
    with Mounted(image, f"{work}/local-mnt") as m:
        return local_runs(f"{m.mount}/data", data, runs, commit_every), None, []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=256, help="MiB per file")
    parser.add_argument("--image-size", type=int, default=1024, help="MiB")
    parser.add_argument("--commit-every", type=int, default=64, help="MiB per write call (NFS) / per fsync (local)")
    parser.add_argument("--servers", default="share-manager,longhorn,local")
    parser.add_argument("--templates-dir", help="share-manager's templates (for tuning experiments)")
    parser.add_argument("--binary", default=RELEASE_BINARY)
    args = parser.parse_args()
    if not can_run("throughput.py", args.binary):
        return 1
    use_venv()
    work = tempfile.mkdtemp(prefix="sm-throughput-")
    image = f"{work}/bench.img"
    # Written out, not sparse: a write into a hole of the image makes the host filesystem
    # allocate, so whichever target wrote a region first was slower (seen: share-manager,
    # first in line, 236 MiB/s on its first run and 410-480 after). Zeros are still blank
    # to share-manager, which formats the image.
    subprocess.run(["dd", "if=/dev/zero", f"of={image}", "bs=4M", f"count={args.image_size // 4}", "conv=fsync",
                    "status=none"], check=True)
    data = os.urandom(args.size * MiB)  # incompressible, made once outside the timings
    commit = min(args.commit_every, args.size) * MiB
    results = {}
    try:
        servers = args.servers.split(",")
        # share-manager formats the image first, unmeasured. Without lazy init: otherwise
        # ext4lazyinit zeroes inode tables in the background while the first server is
        # measured, and whichever runs first is ~10 % slower.
        run_share_manager(args.binary, work, image, args.templates_dir, data[:MiB], 0, MiB,
                          ["--mkfs-options=-E lazy_itable_init=0,lazy_journal_init=0"])
        for server in servers:
            if server == "share-manager":
                got = run_share_manager(args.binary, work, image, args.templates_dir, data, args.runs, commit)
            elif server == "longhorn":
                got = run_longhorn(work, image, data, args.runs, commit)
            elif server == "local":
                got = run_local(work, image, data, args.runs, commit)
            else:
                raise SystemExit(f"unknown server {server}")
            results[server], sizes, failed = got
            runs = ", ".join(f"{w:.0f}/{r:.0f}" for w, r in results[server])
            print(f"{server}: write/read MiB/s per run: {runs}"
                  + (f"  (nfs-rs max_write {sizes[0]}, max_read {sizes[1]})" if sizes else "")
                  + (f"; {len(failed)} failed attempt(s) retried: {'; '.join(failed)}" if failed else ""),
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {s: (statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs))
               for s, runs in results.items()}
    print(f"\n{args.size} MiB sequential, COMMIT/fsync every {commit // MiB} MiB, median of {args.runs} "
          f"after one warm-up run each; reads after drop_caches")
    print("| target | write MiB/s | read MiB/s | write vs local | read vs local | write vs longhorn | read vs longhorn |")
    print("|---|---|---|---|---|---|---|")
    for s, (w, r) in medians.items():
        cells = [s, f"{w:.0f}", f"{r:.0f}"]
        for base in ("local", "longhorn"):
            if base in medians and s != base:
                cells += [f"{w / medians[base][0]:.2f}×", f"{r / medians[base][1]:.2f}×"]
            else:
                cells += ["", ""]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
