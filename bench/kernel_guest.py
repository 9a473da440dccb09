"""A QEMU guest running Debian's kernel NFS client with our probe as the application: the
benchmarks' side of Tests/IntegrationTests/KernelGuest.swift (same fixture, same command
line, same probe; see docs/kernel-client.md). Built by scripts/kernel-client.sh."""
import json
import os
import shutil
import socket
import subprocess
import threading
import time

from common import HERE

FIXTURE = os.environ.get("SHARE_MANAGER_KERNEL_CLIENT_DIR") or os.path.join(HERE, "..", ".build-kernel-client")


def missing() -> str:
    """Why no guest can boot here, or "" when one can."""
    if not shutil.which("qemu-system-x86_64"):
        return "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
    for name in ("vmlinux", "initramfs.cpio"):
        if not os.path.exists(os.path.join(FIXTURE, name)):
            return f"no {FIXTURE}/{name}; run scripts/kernel-client.sh"
    return ""


class Guest:
    """Boots with hostname and nfs4_unique_id `ident` (its own NFSv4 client identity) and
    waits for the probe. Unlike the tests' guests QEMU is not niced: what the bench times is
    the guest's application, and a starved emulator would stretch it. Stop it with stop()."""

    def __init__(self, ident, work, timeout=300):
        self.ident = ident
        self.console = f"{work}/{ident}.console"
        path = f"{work}/{ident}.serial"
        self.lines = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "512",
             "-nodefaults", "-display", "none", "-no-reboot",
             "-kernel", f"{FIXTURE}/vmlinux", "-initrd", f"{FIXTURE}/initramfs.cpio",
             "-append", f"console=ttyS0 panic=-1 quiet no_timer_check sm.id={ident}",
             "-serial", f"file:{self.console}",
             # server=on,wait=on: the guest starts once we are connected, so no event is lost.
             "-chardev", f"socket,id=probe,path={path},server=on,wait=on", "-serial", "chardev:probe",
             "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0,romfile="],
            stdout=open(f"{work}/{ident}.qemu.log", "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self.sock = self._connect(path)
            threading.Thread(target=self._read, daemon=True).start()
            ready = self.wait({"ready"}, 0, timeout)
            if ready.get("hostname") != ident:
                raise SystemExit(f"guest {ident} came up as {ready}")
        except BaseException:
            self.stop()
            raise

    def _connect(self, path):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                time.sleep(0.05)
        raise SystemExit(f"QEMU did not open {path}; see {self.console}")

    def _read(self):
        pending = b""
        while True:
            try:
                chunk = self.sock.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            *complete, pending = pending.split(b"\n")
            with self.lock:
                self.lines.extend(line.decode(errors="replace") for line in complete)

    def send(self, command) -> int:
        """Sends one command line; returns the mark wait() takes."""
        with self.lock:
            mark = len(self.lines)
        self.sock.sendall((command + "\n").encode())
        return mark

    def wait(self, names, after, timeout):
        """The first event named one of `names` after the mark `after`."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                lines = self.lines[after:]
            for line in lines:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") in names:
                    return event
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = open(self.console, errors="replace").read()[-2000:] if os.path.exists(self.console) else ""
                raise SystemExit(f"guest {self.ident}: no {'/'.join(sorted(names))} (QEMU exit {self.proc.poll()}); "
                                 f"last events {lines[-5:]}; console:\n{tail}")
            time.sleep(0.02)

    def request(self, command, names, timeout=60):
        return self.wait(names, self.send(command), timeout)

    def mount(self, directory, nfs_port, export):
        reply = self.request(f"mount {directory} {nfs_port} /{export}", {"mounted", "mount-failed"})
        if reply["event"] != "mounted":
            raise SystemExit(f"guest {self.ident} could not mount: {reply}")

    def stop(self):
        """QEMU by PID: SIGTERM ends the emulator at once (the guest has nothing to save)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
