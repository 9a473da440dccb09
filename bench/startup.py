#!/usr/bin/env python3
"""Start-to-ready time: share-manager vs a bare ganesha.nfsd, and vs the same steps by hand.

share-manager: from process start to the first 200 from /readyz (device checked and
mounted, private bus and Ganesha started, export confirmed over D-Bus). Two ways:
  image  --device is the image file, attached to a loop device by share-manager;
  block  --device is a loop device attached before the clock starts, as a Pod's block
         device (volumeDevices) is there before the container starts.
Baselines, both on the same block device, with a dbus-daemon already running:
  bare     `ganesha.nfsd -F` (same main config and EXPORT) on a filesystem mounted
           beforehand, to its NFS port accepting TCP: the issue's baseline, which does none
           of the device work;
  by hand  the least a start script must do before serving a volume it did not just
           format, timed from this (already running) Python process: `blkid -p`,
           `e2fsck -p`, `mount`, then the same `ganesha.nfsd` to its port accepting TCP.
           A stand-in for a shell entrypoint (Longhorn's share-manager does these steps in
           Go, without share-manager's refusals, marker check or readiness check).
All on an existing ext4 filesystem (the format is a one-off).

Usage (root): bench/startup.py [--runs N] [--binary PATH] [--ganesha host,trixie]
Prints each run and the medians, and the ratios; with several Ganeshas (--ganesha), all of
them interleaved in each run, then a table with one column per Ganesha.
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

from common import GANESHA_HELP, RELEASE_BINARY, accepts_tcp, can_run, free_port, ganesha_choices, ganesha_version, ready, using_ganesha


def wait_for(check, timeout=60.0, interval=0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False


def share_manager_args(binary, work, device, nfs_port, http_port):
    return [binary, "run", "--volume", "bench", "--device", device,
            "--mount-point", f"{work}/mnt", "--state-dir", f"{work}/state",
            "--nfs-address", "127.0.0.1", "--nfs-port", str(nfs_port),
            "--http-address", "127.0.0.1", "--http-port", str(http_port),
            "--grace-period", "5", "--lease-lifetime", "5"]


def time_share_manager(binary, work, device) -> float:
    nfs_port, http_port = free_port(), free_port()
    log = open(f"{work}/share-manager.log", "ab")
    start = time.monotonic()
    proc = subprocess.Popen(share_manager_args(binary, work, device, nfs_port, http_port), stdout=log, stderr=log)
    try:
        if not wait_for(lambda: ready(http_port) or proc.poll() is not None) or proc.poll() is not None:
            raise SystemExit(f"share-manager did not become ready; see {work}/share-manager.log")
        return time.monotonic() - start
    finally:
        proc.send_signal(signal.SIGTERM)
        if proc.wait(timeout=30) != 0:
            raise SystemExit(f"share-manager exited {proc.returncode}; see {work}/share-manager.log")


class Baselines:
    """A rendered config and a running private bus, shared by the bare and by-hand runs."""

    def __init__(self, binary, work, device, label):
        self.work, self.device = work, device
        self.nfs_port = free_port()
        render = share_manager_args(binary, work, device, self.nfs_port, free_port())
        render[1] = "render"
        rendered = subprocess.run(render, check=True, capture_output=True, text=True).stdout
        # `render` writes what every release accepts; `run` adds this line for the 6.x it
        # detects, and so must the bare baseline (6.5 exits without CAP_SYS_RESOURCE otherwise).
        if ganesha_version().lstrip("V").split(".")[0] >= "6":
            rendered = rendered.replace("NFS_CORE_PARAM {", "NFS_CORE_PARAM {\n    Allow_Set_Io_Flusher_Fail = true;", 1)
        self.dir = f"{work}/bare-{label}"
        os.makedirs(self.dir, exist_ok=True)
        with open(f"{self.dir}/ganesha.conf", "w") as f:
            f.write("\n".join(line for line in rendered.splitlines() if not line.startswith("# =====")))
        bus_conf = f"{self.dir}/bus.conf"
        template = open(os.path.join(os.path.dirname(__file__), "..", "ganesha-templates", "dbus-system-bus.conf.mustache")).read()
        with open(bus_conf, "w") as f:
            # The bus daemon is the host's, so the host's copy of Ganesha's policy (bookworm
            # and trixie keep it in different folders).
            policy = next(p for p in ("/etc/dbus-1/system.d/nfs-ganesha-dbus.conf",
                                      "/usr/share/dbus-1/system.d/nfs-ganesha-dbus.conf") if os.path.exists(p))
            f.write(template.split("\n", 1)[1].replace("{{runDirectory}}", self.dir).replace("{{ganeshaPolicy}}", policy))
        self.bus = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={bus_conf}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(f"{self.dir}/system_bus_socket"))
        self.bus_address = f"unix:path={self.dir}/system_bus_socket"

    def close(self):
        self.bus.terminate()
        self.bus.wait(timeout=10)

    def _serve(self, start, steps=()):
        """Runs `steps` (the by-hand device work), then Ganesha until it accepts TCP; the
        time from `start`. Unmounts afterwards."""
        mnt = f"{self.work}/mnt"
        ganesha = None
        try:
            for step in steps:
                subprocess.run(step, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            log = open(f"{self.dir}/ganesha.log", "ab")
            ganesha = subprocess.Popen(["ganesha.nfsd", "-F", "-f", f"{self.dir}/ganesha.conf", "-L", "/dev/stdout",
                                        "-p", f"{self.dir}/ganesha.pid"], stdout=log, stderr=log,
                                       env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus_address))
            if not wait_for(lambda: accepts_tcp(self.nfs_port) or ganesha.poll() is not None) or ganesha.poll() is not None:
                raise SystemExit(f"Ganesha did not listen; see {self.dir}/ganesha.log")
            return time.monotonic() - start
        finally:
            if ganesha:
                ganesha.send_signal(signal.SIGTERM)
                ganesha.wait(timeout=30)
            subprocess.run(["umount", mnt], check=False, stderr=subprocess.DEVNULL)

    def bare(self) -> float:
        os.makedirs(f"{self.work}/mnt", exist_ok=True)
        subprocess.run(["mount", "-o", "errors=remount-ro", self.device, f"{self.work}/mnt"], check=True)
        return self._serve(time.monotonic())

    def by_hand(self) -> float:
        start = time.monotonic()
        return self._serve(start, [
            ["blkid", "-p", "-o", "export", self.device],
            ["e2fsck", "-p", self.device],
            ["mount", "-o", "errors=remount-ro", self.device, f"{self.work}/mnt"],
        ])


def median_ms(values):
    return statistics.median(values) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--binary", default=RELEASE_BINARY)
    parser.add_argument("--ganesha", default="host", help=GANESHA_HELP)
    args = parser.parse_args()
    if not can_run("startup.py", args.binary):
        return 1
    choices = ganesha_choices(args.ganesha)
    work = tempfile.mkdtemp(prefix="sm-bench-")
    image = f"{work}/bench.img"
    subprocess.run(["truncate", "-s", "256M", image], check=True)
    loop = None
    baselines = {}
    try:
        with using_ganesha(choices[0][1]):
            time_share_manager(args.binary, work, image)  # formats the blank image once; not counted
        loop = subprocess.run(["losetup", "--find", "--show", image], check=True, capture_output=True, text=True).stdout.strip()
        versions = {}
        for label, root in choices:
            with using_ganesha(root):
                versions[label] = ganesha_version()
                baselines[label] = Baselines(args.binary, work, loop, label)
        times = {label: {"image": [], "block": [], "bare": [], "hand": []} for label, _ in choices}
        for i in range(args.runs):
            # Interleaved, so that a busy moment of the machine falls on all of them alike.
            for label, root in choices:
                t = times[label]
                with using_ganesha(root):
                    subprocess.run(["losetup", "-d", loop], check=True)
                    t["image"].append(time_share_manager(args.binary, work, image))
                    loop = subprocess.run(["losetup", "--find", "--show", image], check=True, capture_output=True, text=True).stdout.strip()
                    baselines[label].device = loop
                    t["block"].append(time_share_manager(args.binary, work, loop))
                    t["bare"].append(baselines[label].bare())
                    t["hand"].append(baselines[label].by_hand())
                print(f"run {i + 1}, Ganesha {versions[label]} ({label}): share-manager image {t['image'][-1] * 1000:6.1f} ms, "
                      f"block {t['block'][-1] * 1000:6.1f} ms; bare ganesha.nfsd {t['bare'][-1] * 1000:6.1f} ms; "
                      f"by hand {t['hand'][-1] * 1000:6.1f} ms", flush=True)
        medians = {}
        for label, _ in choices:
            m = medians[label] = {k: median_ms(v) for k, v in times[label].items()}
            # bench/all.py reads the lines that start with "median" (one Ganesha).
            who = f"Ganesha {versions[label]} ({label}), " if len(choices) > 1 else ""
            print(f"{who}median: share-manager start->/readyz 200 {m['image']:.1f} ms; "
                  f"bare ganesha.nfsd start->listening {m['bare']:.1f} ms; ratio {m['image'] / m['bare']:.2f}x")
            print(f"{who}median, block device: share-manager {m['block']:.1f} ms; "
                  f"bare ganesha.nfsd {m['bare']:.1f} ms (ratio {m['block'] / m['bare']:.2f}x); by hand (blkid -p, "
                  f"e2fsck -p, mount, ganesha.nfsd) {m['hand']:.1f} ms (ratio {m['block'] / m['hand']:.2f}x)")
        if len(choices) > 1:
            print(f"\nmedians of {args.runs} runs, interleaved")
            print("| start to ready | " + " | ".join(f"Ganesha {versions[l]} ({l})" for l, _ in choices) + " |")
            print("|---|" + "---|" * len(choices))
            for key, what in [("image", "share-manager, image file"), ("block", "share-manager, block device"),
                              ("bare", "bare ganesha.nfsd"), ("hand", "by hand")]:
                print(f"| {what} | " + " | ".join(f"{medians[l][key]:.1f} ms" for l, _ in choices) + " |")
    finally:
        for b in baselines.values():
            b.close()
        subprocess.run(["umount", f"{work}/mnt"], check=False, stderr=subprocess.DEVNULL)
        if loop:
            subprocess.run(["losetup", "-d", loop], check=False)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
