"""The servers bench/failover-kernel.py puts through its faults: share-manager with a row's
flags (Managed), and bare ganesha.nfsd under a shell loop (Bare). Each has start(),
fault(scenario) returning once it serves again, needs_fresh_instance(), pids(),
nfsv4_requests() and stop()."""
import os
import re
import signal
import subprocess
import urllib.request

from common import Server, accepts_tcp, detach, ready, wait_for


def live_ganesha(pid_file):
    """Ganesha's pid, or None; checked against /proc so a stale file never names another process."""
    try:
        pid = int(open(pid_file).read().strip())
        stat = open(f"/proc/{pid}/stat").read()
    except (OSError, ValueError):
        return None
    # Field 3, after the parenthesised name, is the state; a zombie has exited.
    return pid if "(ganesha.nfsd)" in stat and stat.rsplit(")", 1)[1].split()[0] != "Z" else None


def gone(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class Managed:
    """share-manager with a row's flags; each fresh instance is another "node"."""

    def __init__(self, binary, work, image, nfs_port, flags):
        self.binary, self.work, self.image, self.nfs_port, self.flags = binary, work, image, nfs_port, flags
        self.instances = 0
        self.server = None

    def start(self):
        self.instances += 1
        self.crashed = False
        self.server = Server(self.binary, self.work, self.image, f"node{self.instances}", self.nfs_port, extra=self.flags)

    def needs_fresh_instance(self, scenario):
        """share-manager waits 1, 2, 4, 8 s before the 2nd to 5th in-place restart within 5
        minutes (and gives up at the 6th): every measured Ganesha crash is an instance's first."""
        return scenario == "a" and self.crashed

    def fault(self, scenario):
        old = live_ganesha(f"{self.server.state}/ganesha.pid")
        if scenario == "a":
            self.crashed = True
            os.kill(old, signal.SIGKILL)
            wait_for(lambda: live_ganesha(f"{self.server.state}/ganesha.pid") not in (None, old)
                     and ready(self.server.http_port), 120, "an in-place restart")
            return
        if scenario == "b":
            # share-manager first: killed second, it could start another Ganesha in between.
            self.server.proc.send_signal(signal.SIGKILL)
            if live_ganesha(f"{self.server.state}/ganesha.pid") == old:  # its death signal may have come first
                os.kill(old, signal.SIGKILL)
        else:
            self.server.proc.send_signal(signal.SIGTERM)
        self.server.proc.wait(timeout=30)
        self.server.remove_leftovers(self.image)
        self.start()

    def pids(self):
        return {"ganesha": live_ganesha(f"{self.server.state}/ganesha.pid"), "share-manager": self.server.proc.pid}

    def nfsv4_requests(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server.http_port}/metrics", timeout=5) as reply:
            text = reply.read().decode()
        found = re.findall(r'^\S*nfs_operations_total\{[^}]*nfs_version="4\.[0-9]"[^}]*\} (\S+)', text, re.M)
        return sum(float(value) for value in found) if found else None

    def stop(self):
        if self.server:
            self.server.stop()
            self.server.remove_leftovers(self.image)


BARE_CONFIG = """NFS_CORE_PARAM {{
    Protocols = 4; NFS_Port = {port}; Bind_addr = 127.0.0.1;
    Enable_NLM = false; Enable_RQUOTA = false; Enable_UDP = false; fsid_device = false;
}}
NFSV4 {{
    Lease_Lifetime = 60; Grace_Period = 90; Minor_Versions = 1, 2;
    RecoveryBackend = fs; RecoveryRoot = "{mount}/recovery";
}}
NFS_KRB5 {{ Active_krb5 = false; }}
EXPORT {{
    Export_Id = 1; Path = "{mount}/data"; Pseudo = "/bench"; Access_Type = RW; Squash = No_Root_Squash;
    Protocols = 4; Transports = TCP; SecType = sys;
    FSAL {{ Name = VFS; }}
}}
LOG {{ Default_Log_Level = EVENT; Components {{ TIRPC = CRIT; }} }}
"""


class Bare:
    """ganesha.nfsd restarted by a plain shell loop, the volume mounted by hand."""

    def __init__(self, work, image, nfs_port):
        self.work, self.image, self.nfs_port = work, image, nfs_port
        self.mount = f"{work}/mnt-bare"
        self.pid_file = f"{work}/bare.pid"
        self.loop = None
        subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True)

    def start(self):
        device = subprocess.run(["losetup", "-f", "--show", self.image], capture_output=True, text=True, check=True).stdout.strip()
        os.makedirs(self.mount, exist_ok=True)
        subprocess.run(["mount", device, self.mount], check=True)
        for sub in ("data", "recovery"):
            os.makedirs(f"{self.mount}/{sub}", exist_ok=True)
        with open(f"{self.work}/bare.conf", "w") as f:
            f.write(BARE_CONFIG.format(port=self.nfs_port, mount=self.mount))
        command = (f"while :; do ganesha.nfsd -F -f {self.work}/bare.conf -L {self.work}/bare-ganesha.log "
                   f"-p {self.pid_file}; done")
        # No D-Bus (Longhorn's Ganesha has it compiled out): a bus address nobody serves.
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={self.work}/no-bus")
        self.loop = subprocess.Popen(["sh", "-c", command], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: live_ganesha(self.pid_file) and accepts_tcp(self.nfs_port), 60, "bare Ganesha listening")

    def fault(self, scenario):
        old = live_ganesha(self.pid_file)
        if scenario == "a":
            os.kill(old, signal.SIGKILL)
            wait_for(lambda: live_ganesha(self.pid_file) not in (None, old) and accepts_tcp(self.nfs_port), 120, "the shell loop's restart")
            return
        self.halt(signal.SIGKILL if scenario == "b" else signal.SIGTERM)
        self.start()

    def halt(self, how):
        """The loop first (or it would start another Ganesha), then Ganesha, then the detach."""
        pid = live_ganesha(self.pid_file)
        self.loop.kill()
        self.loop.wait()
        if pid:
            os.kill(pid, how)
            wait_for(lambda: gone(pid), 30, "Ganesha's exit")
        detach(self.mount, self.image)

    def needs_fresh_instance(self, scenario):
        return False  # the shell loop restarts at once, every time

    def pids(self):
        return {"ganesha": live_ganesha(self.pid_file)}

    def nfsv4_requests(self):
        return None

    def stop(self):
        if self.loop:
            self.halt(signal.SIGTERM)
            self.loop = None
