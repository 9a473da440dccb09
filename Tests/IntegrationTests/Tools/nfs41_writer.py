#!/usr/bin/env python3
"""An NFSv4.1 client that writes one file without pause, for share-manager's shutdown tests.

It writes FILE_SYNC chunks of a deterministic pattern, so every acknowledged byte is on
disk, and reports how many it has. When the server goes away it keeps its client record
(no DESTROY_CLIENTID), waits for a server to come back, reclaims its open with
CLAIM_PREVIOUS and reads the acknowledged bytes back. Reclaim succeeds only when the new
server found this client's recovery record: that is what the tests check.

  nfs41_writer.py --server H --port P --export VOL --file F --owner O
                  [--wrap-bytes 4194304] [--reconnect-timeout 120]

Events, one JSON object per line (see nfs41_client.py): session, writing,
progress {committed}, server-lost {committed}, reconnected, reclaimed {open},
data-intact {ok, bytes}, error. Exit 0 once the data is verified or on SIGTERM.
Reuses nfs41_client.py's protocol code; standard library only.
"""
import argparse
import signal
import struct
import sys
import time

import nfs41_client as nfs

STOP = False


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2049)
    parser.add_argument("--timeout", type=float, default=10.0, help="per RPC, seconds")
    parser.add_argument("--export", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--wrap-bytes", type=int, default=4 << 20,
                        help="start again at offset 0 after this many bytes (same pattern)")
    parser.add_argument("--reconnect-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    args.verifier = struct.pack(">Q", time.time_ns())
    return args


class Writer:
    def __init__(self, args):
        self.args = args
        self.c = nfs.Client(args, args.owner, args.verifier)
        self.open_owner = f"{args.owner}/open".encode()
        self.data = nfs.pattern(args.owner, "stream", args.wrap_bytes)
        self.fh = self.sid = None
        self.committed = 0  # bytes from offset 0 acknowledged FILE_SYNC: on stable storage

    def run(self):
        self.c.connect()
        self.c.establish()
        self.c.reclaim_complete()
        deadline = time.monotonic() + 60
        self.fh, self.sid = nfs.retry_grace(
            lambda: self.c.open_by_name(self.args.export, self.args.file, self.open_owner),
            deadline, "OPEN")
        try:
            self._write_until_lost()
        except (nfs.ServerLost, nfs.NfsError) as exc:
            if isinstance(exc, nfs.NfsError) and exc.status not in nfs.RESTART_STATUSES:
                raise
            nfs.emit("server-lost", reason=str(exc), committed=self.committed)
            self._recover()
            return
        # Stopped by SIGTERM: leave no record behind to hold the next grace period.
        self.c.compound([nfs.putfh(self.fh), nfs.close_op(self.sid)])
        self.c.destroy()

    def _write_until_lost(self):
        offset, last_report, first = 0, 0.0, True
        while not STOP:
            chunk = self.data[offset:offset + nfs.CHUNK]
            count, _, _ = self.c.compound([nfs.putfh(self.fh), nfs.write_op(self.sid, offset, chunk)])[1]
            offset += count
            self.committed = max(self.committed, offset)
            if first:
                nfs.emit("writing")
                first = False
            now = time.monotonic()
            if now - last_report >= 0.2:
                nfs.emit("progress", committed=self.committed)
                last_report = now
            if offset >= len(self.data):
                offset = 0

    def _recover(self):
        deadline = time.monotonic() + self.args.reconnect_timeout
        while True:
            try:
                self.c.connect()
                self.c.establish()  # same owner and verifier: the server's record matches
                break
            except (nfs.ServerLost, nfs.NfsError):
                if STOP or time.monotonic() >= deadline:
                    raise RuntimeError("no server came back")
                time.sleep(0.2)
        nfs.emit("reconnected")
        try:
            self.sid = self.c.compound([nfs.putfh(self.fh), nfs.open_op(self.c.clientid, self.open_owner)])[1]
            nfs.emit("reclaimed", open="NFS4_OK")
        except nfs.NfsError as exc:
            nfs.emit("reclaimed", open=nfs.status_name(exc.status))
            raise
        self.c.reclaim_complete()
        back = self.c.read_all(self.fh, self.sid, 0, self.committed)
        nfs.emit("data-intact", ok=back == self.data[:self.committed], bytes=len(back))
        self.c.compound([nfs.putfh(self.fh), nfs.close_op(self.sid)])
        self.c.destroy()


def main(argv):
    args = parse_args(argv)

    def stop(_signum, _frame):
        global STOP
        STOP = True

    signal.signal(signal.SIGTERM, stop)
    try:
        Writer(args).run()
    except (nfs.NfsError, nfs.ServerLost, ValueError, RuntimeError, OSError) as exc:
        nfs.emit("error", message=f"{type(exc).__name__}: {exc}")
        return 1
    nfs.emit("exit", status=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
