#!/usr/bin/env python3
"""A small NFSv4.1 client that can reclaim state after a server restart.

share-manager's integration tests need a client that holds an open and a byte-range lock,
survives a Ganesha restart and reclaims both during the grace period. No packaged userspace
client does that (nfs-rs uses a random owner per connection; libnfs speaks 4.0) and the
kernel client is unavailable here, hence this tool. Standard library only.

  nfs41_client.py null       --server H --port P
  nfs41_client.py hold       --server H --port P --export VOL --file F --owner O
                             [--lock-offset 0 --lock-length 100] [--write-bytes 4096]
                             [--duration 120] [--renew 5] [--no-destroy] [--exit-after-reclaim]
                             [--probe-grace]
  nfs41_client.py try-open   --server H --port P --export VOL --file F --owner O
  nfs41_client.py try-lock   --server H --port P --export VOL --file F --owner O
                             [--lock-offset 0 --lock-length 100] [--grace-wait 120]
  nfs41_client.py write-once --server H --port P --export VOL --file F --owner O --bytes N
  nfs41_client.py write-files --server H --port P --export VOL --owner O --prefix R
                             [--min-bytes 4096 --max-bytes 1048576] [--max-files 0]
  nfs41_client.py verify-files --server H --port P --export VOL --owner O --manifest FILE
  nfs41_client.py read-once  --server H --port P --export VOL --file F --owner O --bytes N
  Any mode: [--source-address A] binds the client socket to A before connecting.

Every line on stdout is one JSON object with an "event" and "t" (time.monotonic()).
Exit 0 on success, 1 after printing {"event": "error", ...}. See README.md next to this file.
Protocol references: RFC 5531 (ONC RPC), RFC 4506 (XDR), RFC 5661 (NFSv4.1).
"""
import argparse
import hashlib
import json
import os
import select
import signal
import socket
import stat
import struct
import sys
import time

# ---------------------------------------------------------------- protocol constants
NFS_PROGRAM, NFS_V4, PROC_NULL, PROC_COMPOUND = 100003, 4, 0, 1
AUTH_NONE, AUTH_SYS = 0, 1
OPS = {"CLOSE": 4, "GETFH": 10, "LOCK": 12, "LOCKU": 14, "LOOKUP": 15,
       "OPEN": 18, "PUTFH": 22, "PUTROOTFH": 24, "READ": 25, "WRITE": 38, "EXCHANGE_ID": 42,
       "CREATE_SESSION": 43, "DESTROY_SESSION": 44, "FREE_STATEID": 45, "SEQUENCE": 53,
       "DESTROY_CLIENTID": 57, "RECLAIM_COMPLETE": 58}
STATUS_NAMES = {
    0: "NFS4_OK", 1: "NFS4ERR_PERM", 2: "NFS4ERR_NOENT", 5: "NFS4ERR_IO", 13: "NFS4ERR_ACCESS",
    17: "NFS4ERR_EXIST", 22: "NFS4ERR_INVAL", 28: "NFS4ERR_NOSPC", 30: "NFS4ERR_ROFS",
    70: "NFS4ERR_STALE", 10001: "NFS4ERR_BADHANDLE", 10004: "NFS4ERR_NOTSUPP",
    10006: "NFS4ERR_SERVERFAULT", 10008: "NFS4ERR_DELAY", 10010: "NFS4ERR_DENIED",
    10011: "NFS4ERR_EXPIRED", 10012: "NFS4ERR_LOCKED", 10013: "NFS4ERR_GRACE",
    10014: "NFS4ERR_FHEXPIRED", 10015: "NFS4ERR_SHARE_DENIED", 10017: "NFS4ERR_CLID_INUSE",
    10018: "NFS4ERR_RESOURCE", 10020: "NFS4ERR_NOFILEHANDLE",
    10021: "NFS4ERR_MINOR_VERS_MISMATCH", 10022: "NFS4ERR_STALE_CLIENTID",
    10023: "NFS4ERR_STALE_STATEID", 10024: "NFS4ERR_OLD_STATEID", 10025: "NFS4ERR_BAD_STATEID",
    10026: "NFS4ERR_BAD_SEQID", 10028: "NFS4ERR_LOCK_RANGE", 10033: "NFS4ERR_NO_GRACE",
    10034: "NFS4ERR_RECLAIM_BAD", 10035: "NFS4ERR_RECLAIM_CONFLICT", 10036: "NFS4ERR_BADXDR",
    10037: "NFS4ERR_LOCKS_HELD", 10038: "NFS4ERR_OPENMODE", 10040: "NFS4ERR_BADCHAR",
    10041: "NFS4ERR_BADNAME", 10044: "NFS4ERR_OP_ILLEGAL",
    10047: "NFS4ERR_ADMIN_REVOKED", 10052: "NFS4ERR_BADSESSION", 10053: "NFS4ERR_BADSLOT",
    10054: "NFS4ERR_COMPLETE_ALREADY", 10063: "NFS4ERR_SEQ_MISORDERED",
    10065: "NFS4ERR_REQ_TOO_BIG", 10066: "NFS4ERR_REP_TOO_BIG",
    10068: "NFS4ERR_RETRY_UNCACHED_REP", 10071: "NFS4ERR_OP_NOT_IN_SESSION",
    10074: "NFS4ERR_CLIENTID_BUSY", 10076: "NFS4ERR_SEQ_FALSE_RETRY",
    10078: "NFS4ERR_DEADSESSION", 10081: "NFS4ERR_NOT_ONLY_OP", 10087: "NFS4ERR_DELEG_REVOKED",
}
ERR = {name: code for code, name in STATUS_NAMES.items()}
# What a live client sees on its old session once the server has restarted (RFC 5661 8.4.2).
RESTART_STATUSES = {ERR["NFS4ERR_BADSESSION"], ERR["NFS4ERR_DEADSESSION"],
                    ERR["NFS4ERR_STALE_CLIENTID"]}
EXCHGID4_FLAG_USE_NON_PNFS = 0x00010000
OPEN4_SHARE_ACCESS_BOTH, OPEN4_SHARE_ACCESS_WANT_NO_DELEG = 3, 0x0400
OPEN4_NOCREATE, OPEN4_CREATE, UNCHECKED4 = 0, 1, 0
CLAIM_NULL, CLAIM_PREVIOUS, OPEN_DELEGATE_NONE, OPEN_DELEGATE_NONE_EXT = 0, 1, 0, 3
WRITE_LT, FILE_SYNC4 = 2, 2
CHUNK = 32 * 1024  # per WRITE/READ: far below any negotiated max request/response size


def status_name(code):
    return STATUS_NAMES.get(code, f"NFS4ERR_{code}")


def emit(event, **fields):
    """One JSON object per line, flushed: the test harness reads these as they come."""
    print(json.dumps({"event": event, "t": round(time.monotonic(), 3), **fields}), flush=True)


class NfsError(Exception):
    """An operation in a COMPOUND failed; status is the NFS4ERR code."""

    def __init__(self, status, op):
        super().__init__(f"{op}: {status_name(status)}")
        self.status, self.op = status, op


class ServerLost(Exception):
    """The transport failed (reset, refused, closed, timed out): the server went away."""


# ---------------------------------------------------------------- XDR (RFC 4506)
class Xdr:
    """XDR encoder: big-endian 4-byte units, variable data padded to 4 bytes. Chainable."""

    def __init__(self):
        self.parts = []

    def u32(self, v):
        self.parts.append(struct.pack(">I", v))
        return self

    def u64(self, v):
        self.parts.append(struct.pack(">Q", v))
        return self

    def bool(self, v):
        return self.u32(1 if v else 0)

    def fixed(self, data):
        self.parts.append(data + b"\0" * (-len(data) % 4))
        return self

    def opaque(self, data):
        return self.u32(len(data)).fixed(data)

    def string(self, s):
        return self.opaque(s.encode())

    def raw(self, data):  # already-encoded XDR
        self.parts.append(data)
        return self

    def bytes(self):
        return b"".join(self.parts)


class XdrReader:
    """XDR decoder over one reply; raises ValueError if the reply is shorter than expected."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def _take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated XDR reply")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u32(self):
        return struct.unpack(">I", self._take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self._take(8))[0]

    def bool(self):
        return self.u32() != 0

    def fixed(self, n):
        data = self._take(n)
        self._take(-n % 4)
        return data

    def opaque(self):
        return self.fixed(self.u32())

    def u32_array(self):
        return [self.u32() for _ in range(self.u32())]


# ---------------------------------------------------------------- ONC RPC over TCP (RFC 5531)
class RpcConnection:
    """One TCP connection, one outstanding call at a time, AUTH_SYS uid 0 / gid 0."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=SOURCE_ADDRESS)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.xid = struct.unpack(">I", os.urandom(4))[0]
        machine = socket.gethostname()[:255]
        self.cred = Xdr().u32(int(time.time()) & 0xFFFFFFFF).string(machine) \
            .u32(0).u32(0).u32(0).bytes()  # stamp, machinename, uid, gid, gids<>

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def call(self, proc, body=b""):
        self.xid = (self.xid + 1) & 0xFFFFFFFF
        msg = Xdr().u32(self.xid).u32(0).u32(2).u32(NFS_PROGRAM).u32(NFS_V4).u32(proc) \
            .u32(AUTH_SYS).opaque(self.cred).u32(AUTH_NONE).opaque(b"").raw(body).bytes()
        # Record marking: one fragment, the high bit says it is the last one.
        self.sock.sendall(struct.pack(">I", 0x80000000 | len(msg)) + msg)
        reply = XdrReader(self._read_record())
        if reply.u32() != self.xid or reply.u32() != 1:
            raise ValueError("RPC reply does not match the call")
        if reply.u32() != 0:
            raise ValueError("RPC call denied (MSG_DENIED)")
        reply.u32()  # verifier flavor
        reply.opaque()  # verifier body
        accept_stat = reply.u32()
        if accept_stat != 0:
            raise ValueError(f"RPC call not accepted: accept_stat {accept_stat}")
        return reply

    def _read_record(self):
        data, last = b"", False
        while not last:
            (mark,) = struct.unpack(">I", self._read_exact(4))
            last, size = bool(mark & 0x80000000), mark & 0x7FFFFFFF
            data += self._read_exact(size)
        return data

    def _read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("server closed the connection")
            buf += chunk
        return buf


# ---------------------------------------------------------------- operations
# Each builder returns (name, encoded args, decoder of the op's NFS4_OK result or None).
def op(name, args=b"", decode=None):
    return (name, args, decode)


def read_stateid(r):
    return r.fixed(16)  # seqid (4) + other (12), kept opaque: we only echo it back


def putrootfh():
    return op("PUTROOTFH")


def putfh(fh):
    return op("PUTFH", Xdr().opaque(fh).bytes())


def getfh():
    return op("GETFH", decode=lambda r: r.opaque())


def lookup(name):
    return op("LOOKUP", Xdr().string(name).bytes())


def decode_open(r):
    stateid = read_stateid(r)
    r.bool(), r.u64(), r.u64()  # change_info4
    r.u32()  # rflags
    r.u32_array()  # attrset
    deleg = r.u32()
    if deleg == OPEN_DELEGATE_NONE_EXT:
        if r.u32() in (1, 2):  # WND4_CONTENTION / WND4_RESOURCE carry a bool
            r.bool()
    elif deleg != OPEN_DELEGATE_NONE:
        # We ask for no delegation and have no back channel to recall one.
        raise ValueError(f"server granted a delegation (type {deleg}); not supported")
    return stateid


def open_op(clientid, owner, name=None):
    """OPEN with share BOTH/deny NONE: CLAIM_NULL create-by-name if name, else CLAIM_PREVIOUS
    (reclaim of the current file handle after a server restart)."""
    e = Xdr().u32(0)  # seqid: ignored in 4.1
    e.u32(OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG).u32(0)
    e.u64(clientid).opaque(owner)
    if name is not None:
        # UNCHECKED4 create with mode 0644 (FATTR4_MODE = attribute 33: word 1, bit 1).
        e.u32(OPEN4_CREATE).u32(UNCHECKED4).u32(2).u32(0).u32(2).opaque(struct.pack(">I", 0o644))
        e.u32(CLAIM_NULL).string(name)
    else:
        e.u32(OPEN4_NOCREATE).u32(CLAIM_PREVIOUS).u32(OPEN_DELEGATE_NONE)
    return op("OPEN", e.bytes(), decode_open)


def lock_op(clientid, lock_owner, open_stateid, offset, length, reclaim):
    """LOCK WRITE_LT for a new lock owner (open_to_lock_owner4); seqids are ignored in 4.1."""
    e = Xdr().u32(WRITE_LT).bool(reclaim).u64(offset).u64(length)
    e.bool(True).u32(0).fixed(open_stateid).u32(0).u64(clientid).opaque(lock_owner)
    return op("LOCK", e.bytes(), read_stateid)


def locku_op(lock_stateid, offset, length):
    return op("LOCKU", Xdr().u32(WRITE_LT).u32(0).fixed(lock_stateid).u64(offset)
              .u64(length).bytes(), read_stateid)


def close_op(open_stateid):
    return op("CLOSE", Xdr().u32(0).fixed(open_stateid).bytes(), read_stateid)


def free_stateid_op(stateid):
    return op("FREE_STATEID", Xdr().fixed(stateid).bytes())


def write_op(stateid, offset, data):
    return op("WRITE", Xdr().fixed(stateid).u64(offset).u32(FILE_SYNC4).opaque(data).bytes(),
              lambda r: (r.u32(), r.u32(), r.fixed(8)))  # count, committed, verifier


def read_op(stateid, offset, count):
    return op("READ", Xdr().fixed(stateid).u64(offset).u32(count).bytes(),
              lambda r: (r.bool(), r.opaque()))  # eof, data


def reclaim_complete_op():
    return op("RECLAIM_COMPLETE", Xdr().bool(False).bytes())  # rca_one_fs = false


# ---------------------------------------------------------------- client
class Client:
    """An NFSv4.1 client identity (owner + boot verifier) with at most one session, slot 0."""

    def __init__(self, args, owner, verifier):
        self.host, self.port, self.timeout = args.server, args.port, args.timeout
        self.owner, self.verifier = owner.encode(), verifier
        self.rpc = None
        self.clientid = self.sessionid = None
        self.slot_seq = 0  # last sequenceid used on slot 0

    # transport
    def connect(self):
        self.disconnect()
        try:
            self.rpc = RpcConnection(self.host, self.port, self.timeout)
        except OSError as exc:
            raise ServerLost(f"connect: {exc}") from exc

    def disconnect(self):
        if self.rpc:
            self.rpc.close()
            self.rpc = None

    def null(self):
        try:
            self.rpc.call(PROC_NULL)
        except OSError as exc:
            raise ServerLost(str(exc)) from exc

    def compound(self, ops, sequence=True):
        """Send ops (prefixed by SEQUENCE unless told otherwise); return each op's decoded
        result. Raises NfsError for the first failing op, ServerLost if the transport fails.
        NFS4ERR_DELAY is retried here: it means "not now", never "no"."""
        for _ in range(60):
            try:
                return self._compound_once(ops, sequence)
            except NfsError as exc:
                if exc.status != ERR["NFS4ERR_DELAY"]:
                    raise
                time.sleep(0.5)
        raise NfsError(ERR["NFS4ERR_DELAY"], ops[0][0])

    def _compound_once(self, ops, sequence):
        if sequence:
            ops = [self._sequence_op()] + ops
        body = Xdr().string("").u32(1).u32(len(ops))  # tag, minorversion 1, argarray
        for name, args, _ in ops:
            body.u32(OPS[name]).raw(args)
        try:
            reply = self.rpc.call(PROC_COMPOUND, body.bytes())
        except OSError as exc:  # includes ConnectionError and socket timeouts
            raise ServerLost(str(exc)) from exc
        reply.u32()  # overall status = status of the last op evaluated
        reply.opaque()  # tag
        results = []
        for index in range(reply.u32()):
            name, _, decode = ops[index]
            if reply.u32() != OPS[name]:
                raise ValueError(f"reply op {index} is not {name}")
            status = reply.u32()
            if status != 0:
                raise NfsError(status, name)
            results.append(decode(reply) if decode else None)
            if sequence and index == 0:
                self.slot_seq += 1  # the slot advances once SEQUENCE succeeds
        return results[1:] if sequence else results

    def _sequence_op(self):
        args = Xdr().fixed(self.sessionid).u32(self.slot_seq + 1).u32(0).u32(0).bool(False)
        return op("SEQUENCE", args.bytes(), lambda r: (r.fixed(16), r.u32(), r.u32(), r.u32(),
                                                       r.u32(), r.u32()))

    # client ID and session
    def establish(self):
        """EXCHANGE_ID + CREATE_SESSION. The same owner and verifier after a server restart
        tell Ganesha this is the client it has a recovery record for, so it may reclaim."""
        args = Xdr().fixed(self.verifier).opaque(self.owner).u32(EXCHGID4_FLAG_USE_NON_PNFS)
        args.u32(0).u32(0)  # state protection SP4_NONE, no implementation id
        decode = lambda r: (r.u64(), r.u32(), r.u32())  # clientid, sequenceid, flags; rest unread
        (self.clientid, seq, _flags), = self.compound(
            [op("EXCHANGE_ID", args.bytes(), decode)], sequence=False)
        channel = Xdr().u32(0).u32(1 << 20).u32(1 << 20).u32(0).u32(16).u32(1).u32(0).bytes()
        args = Xdr().u64(self.clientid).u32(seq).u32(0)  # flags 0: no back channel, no persist
        args.raw(channel).raw(channel).u32(0x40000000).u32(1).u32(AUTH_NONE)  # cb prog, sec
        (self.sessionid,), = self.compound(
            [op("CREATE_SESSION", args.bytes(), lambda r: (r.fixed(16),))], sequence=False)
        self.slot_seq = 0
        emit("session", clientid=f"{self.clientid:016x}", sessionid=self.sessionid.hex())

    def reclaim_complete(self):
        try:
            self.compound([reclaim_complete_op()])
        except NfsError as exc:
            if exc.status != ERR["NFS4ERR_COMPLETE_ALREADY"]:
                raise

    def renew(self):
        self.compound([])  # SEQUENCE alone renews the lease

    def destroy(self):
        """DESTROY_SESSION then DESTROY_CLIENTID, each alone (no SEQUENCE), which removes
        the client's recovery record: it will not hold the next grace period."""
        self.compound([op("DESTROY_SESSION", Xdr().fixed(self.sessionid).bytes())], False)
        self.compound([op("DESTROY_CLIENTID", Xdr().u64(self.clientid).bytes())], False)
        emit("destroyed", clientid=f"{self.clientid:016x}")

    # files
    def open_by_name(self, export, name, owner):
        """PUTROOTFH, LOOKUP each component of the pseudo path, OPEN (create), GETFH."""
        ops = [putrootfh()] + [lookup(p) for p in export.strip("/").split("/") if p]
        ops += [open_op(self.clientid, owner, name), getfh()]
        results = self.compound(ops)
        return results[-1], results[-2]  # file handle, open stateid

    def write_all(self, fh, stateid, offset, data):
        done = 0
        while done < len(data):
            chunk = data[done:done + CHUNK]
            count, _, _ = self.compound([putfh(fh), write_op(stateid, offset + done, chunk)])[1]
            if count == 0:
                raise ValueError("server wrote 0 bytes")
            done += count

    def read_all(self, fh, stateid, offset, size):
        data = b""
        while len(data) < size:
            want = min(CHUNK, size - len(data))
            eof, chunk = self.compound([putfh(fh), read_op(stateid, offset + len(data), want)])[1]
            data += chunk
            if eof or not chunk:
                break
        return data


def retry_grace(fn, deadline, label):
    """Call fn until it stops failing with NFS4ERR_GRACE (retried every second) or the
    deadline passes. In grace, non-reclaim OPEN and LOCK are refused; Ganesha 4.3 does
    serve READ/WRITE on reclaimed stateids."""
    tries = 0
    while True:
        try:
            return fn()
        except NfsError as exc:
            if exc.status != ERR["NFS4ERR_GRACE"] or time.monotonic() >= deadline:
                raise
            tries += 1
            if tries == 1:
                emit("grace", op=label)
            time.sleep(1)


def pattern(owner, tag, size):
    """Deterministic content: the same owner always writes the same bytes."""
    blocks = (hashlib.sha256(f"{owner}:{tag}:{i}".encode()).digest()
              for i in range((size + 31) // 32))
    return b"".join(blocks)[:size]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- hold: the reclaiming client
class Holder:
    """Holds one open, its data and one lock; renews the lease; reclaims after a restart."""

    def __init__(self, args, client):
        self.args, self.c = args, client
        self.open_owner = f"{args.owner}/open".encode()
        self.lock_owner = f"{args.owner}/lock".encode()
        self.fh = self.open_sid = self.lock_sid = None
        self.data = pattern(args.owner, "data", args.write_bytes)
        self.stop = False

    def run(self):
        a, c = self.args, self.c
        c.connect()
        c.establish()
        c.reclaim_complete()  # a fresh client ID must send it before its first open
        deadline = time.monotonic() + a.grace_wait
        self.fh, self.open_sid = retry_grace(
            lambda: c.open_by_name(a.export, a.file, self.open_owner), deadline, "OPEN")
        retry_grace(lambda: c.write_all(self.fh, self.open_sid, 0, self.data), deadline, "WRITE")
        emit("written", offset=0, bytes=len(self.data), sha256=sha256(self.data))
        if a.lock_length:
            self.lock_sid = retry_grace(lambda: self._lock(reclaim=False), deadline, "LOCK")
        emit("holding", fh=self.fh.hex(), lock=bool(self.lock_sid))
        self._loop()
        self._teardown()

    def _lock(self, reclaim):
        return self.c.compound([putfh(self.fh), lock_op(
            self.c.clientid, self.lock_owner, self.open_sid, self.args.lock_offset,
            self.args.lock_length, reclaim)])[1]

    def _loop(self):
        end = time.monotonic() + self.args.duration
        while not self.stop and time.monotonic() < end:
            woke = self._wait(min(self.args.renew, max(0.0, end - time.monotonic())))
            if self.stop:
                break
            try:
                if woke == "socket":
                    raise ServerLost("connection closed by the server")
                self.c.renew()
            except (ServerLost, NfsError) as exc:
                if isinstance(exc, NfsError) and exc.status not in RESTART_STATUSES:
                    raise
                self._recover(str(exc))
                if self.args.exit_after_reclaim:
                    return

    def _wait(self, seconds):
        """Sleep up to seconds; wake early on SIGTERM/SIGINT, stdin EOF, or the server
        closing the connection (we have no back channel, so any readable byte means that)."""
        fds = [WAKEUP_READ, self.c.rpc.sock]
        if stdin_is_watched():
            fds.append(sys.stdin.fileno())
        ready, _, _ = select.select(fds, [], [], seconds)
        if sys.stdin.fileno() in ready and not os.read(sys.stdin.fileno(), 4096):
            emit("stdin-eof")
            self.stop = True
        if WAKEUP_READ in ready:
            os.read(WAKEUP_READ, 64)
        return "socket" if self.c.rpc.sock in ready else "timer"

    def _recover(self, reason):
        lost = time.monotonic()
        emit("server-lost", reason=reason)
        while True:  # the server may die again while we reclaim: start over
            try:
                if self._reconnect(lost + self.args.reconnect_timeout):
                    self._reclaim()
                self._check_after_recovery(lost)
                return
            except (ServerLost, NfsError) as exc:
                if isinstance(exc, NfsError) and exc.status not in RESTART_STATUSES:
                    raise
                emit("server-lost", reason=f"again, during recovery: {exc}")

    def _reconnect(self, deadline):
        """Reconnect with backoff. Returns False if the old session still works (only the
        connection was lost), True once a new client ID and session exist (server restart)."""
        delay = 0.1
        while True:
            try:
                self.c.connect()
                try:
                    self.c.renew()  # SP4_NONE: the first SEQUENCE binds the new connection
                    emit("reconnected", session="kept")
                    return False
                except NfsError as exc:
                    if exc.status not in RESTART_STATUSES:
                        raise
                self.c.establish()  # same owner + verifier: the server's record matches
                emit("reconnected", session="new")
                return True
            except ServerLost as exc:
                if time.monotonic() >= deadline:
                    raise RuntimeError(f"server did not come back: {exc}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)  # cheap on a refused port; keeps timings sharp

    def _reclaim(self):
        """OPEN CLAIM_PREVIOUS on the saved file handle, LOCK reclaim=true, RECLAIM_COMPLETE.
        Reports each status; a refusal (e.g. NFS4ERR_NO_GRACE) is an error: state was lost."""
        result = {"open": "NFS4_OK", "lock": "skipped" if self.lock_sid else None}
        try:
            self.open_sid = self.c.compound([putfh(self.fh), open_op(
                self.c.clientid, self.open_owner)])[1]
            if self.lock_sid:
                result["lock"] = "NFS4_OK"
                try:
                    self.lock_sid = self._lock(reclaim=True)
                except NfsError as exc:
                    result["lock"] = status_name(exc.status)
                    self.lock_sid = None
        except NfsError as exc:
            result["open"] = status_name(exc.status)
            self.open_sid = self.lock_sid = None  # nothing left to release
        self.c.reclaim_complete()
        emit("reclaimed", **result)
        if result["open"] != "NFS4_OK" or result["lock"] not in (None, "NFS4_OK"):
            raise RuntimeError(f"reclaim refused: open {result['open']}, lock {result['lock']}")

    def _check_after_recovery(self, lost):
        """A new WRITE after the held data, retried while the server is in grace; then read
        the held data back to prove it survived the restart."""
        extra = pattern(self.args.owner, "after", max(1, min(len(self.data), 4096)))
        start = time.monotonic()
        retry_grace(lambda: self.c.write_all(self.fh, self.open_sid, len(self.data), extra),
                    start + self.args.grace_wait, "WRITE")
        now = time.monotonic()
        emit("write-ok", since_lost=round(now - lost, 3), since_recovered=round(now - start, 3),
             offset=len(self.data), bytes=len(extra))
        back = self.c.read_all(self.fh, self.open_sid, 0, len(self.data))
        emit("data-intact", ok=back == self.data, sha256=sha256(back))
        if self.args.probe_grace:
            self._probe_grace(lost)

    def _probe_grace(self, lost):
        """Ganesha serves I/O on reclaimed state during grace, so write-ok does not show
        when grace ends; a new OPEN (of FILE.grace-probe) is refused until it does."""
        name = f"{self.args.file}.grace-probe"
        fh, sid = retry_grace(lambda: self.c.open_by_name(self.args.export, name,
                                                          self.open_owner),
                              time.monotonic() + self.args.grace_wait, "OPEN")
        emit("new-open-ok", since_lost=round(time.monotonic() - lost, 3), file=name)
        self.c.compound([putfh(fh), close_op(sid)])

    def _teardown(self):
        if self.args.no_destroy:
            self.c.disconnect()  # vanish: the server keeps our record and our state
            emit("abandoned")
            return
        if self.lock_sid:
            unlocked = self.c.compound([putfh(self.fh), locku_op(
                self.lock_sid, self.args.lock_offset, self.args.lock_length)])[1]
            # In 4.1 a lock stateid outlives LOCKU; free it (with the seqid LOCKU returned)
            # so that DESTROY_CLIENTID is not refused with NFS4ERR_CLIENTID_BUSY.
            self.c.compound([free_stateid_op(unlocked)])
        if self.open_sid:
            self.c.compound([putfh(self.fh), close_op(self.open_sid)])
        emit("released")
        self.c.destroy()

    def cleanup_after_error(self):
        """Best effort: a record left behind would hold the next grace period for its
        full length, which would disturb whatever test runs next."""
        if self.c.sessionid is None or self.args.no_destroy:
            return
        for step in (self._teardown, self.c.destroy):
            try:
                step()
                return
            except (ServerLost, NfsError, ValueError, OSError):
                continue


# ---------------------------------------------------------------- one-shot modes
def run_null(args):
    client = Client(args, "null", b"\0" * 8)
    client.connect()
    client.null()
    emit("null", ok=True)
    client.disconnect()


FRESH_CLIENTS = []  # destroyed on error, so a failed run leaves no record behind


def fresh_client(args):
    client = Client(args, args.owner, args.verifier)
    FRESH_CLIENTS.append(client)
    client.connect()
    client.establish()
    client.reclaim_complete()
    return client


def run_try_open(args):
    """One CLAIM_NULL OPEN from a new client, never retried: shows whether the server is
    in grace (NFS4ERR_GRACE) from a new client's point of view."""
    client = fresh_client(args)
    owner = f"{args.owner}/open".encode()
    try:
        fh, sid = client.open_by_name(args.export, args.file, owner)
        emit("open", status="NFS4_OK")
        client.compound([putfh(fh), close_op(sid)])
    except NfsError as exc:
        emit("open", status=status_name(exc.status), op=exc.op)
    client.destroy()


def run_try_lock(args):
    """Open (waiting out grace), then one conflicting WRITE_LT lock attempt (a GRACE answer
    is waited out too, since it says nothing about the conflict)."""
    client = fresh_client(args)
    deadline = time.monotonic() + args.grace_wait
    fh, sid = retry_grace(lambda: client.open_by_name(
        args.export, args.file, f"{args.owner}/open".encode()), deadline, "OPEN")
    lock = lock_op(client.clientid, f"{args.owner}/lock".encode(), sid, args.lock_offset,
                   args.lock_length, reclaim=False)
    try:
        lock_sid = retry_grace(lambda: client.compound([putfh(fh), lock])[1], deadline, "LOCK")
        emit("lock", status="NFS4_OK")
        unlocked = client.compound([putfh(fh), locku_op(
            lock_sid, args.lock_offset, args.lock_length)])[1]
        client.compound([free_stateid_op(unlocked)])
    except NfsError as exc:
        emit("lock", status=status_name(exc.status), op=exc.op)
    client.compound([putfh(fh), close_op(sid)])
    client.destroy()


def run_write_once(args):
    client = fresh_client(args)
    deadline = time.monotonic() + args.grace_wait
    data = pattern(args.owner, "data", args.bytes)
    fh, sid = retry_grace(lambda: client.open_by_name(
        args.export, args.file, f"{args.owner}/open".encode()), deadline, "OPEN")
    retry_grace(lambda: client.write_all(fh, sid, 0, data), deadline, "WRITE")
    client.compound([putfh(fh), close_op(sid)])
    emit("written", offset=0, bytes=len(data), sha256=sha256(data))
    client.destroy()


# ---------------------------------------------------------------- write-files / verify-files
# The crash matrix test kills the server under a writer and then checks that every file
# the writer saw committed reads back exactly. A writer dies with the connection (a new
# one, same owner, starts after the restart): its files are named per run, so nothing it
# left half-written is ever expected to survive.
OPS.setdefault("COMMIT", 5)
UNSTABLE4 = 0
STABLE_HOW = {0: "UNSTABLE4", 1: "DATA_SYNC4", 2: "FILE_SYNC4"}
BULK = 256 * 1024  # per WRITE/READ here: fewer round trips, well under the 1 MiB we negotiate


def write_how_op(stateid, offset, data, stable):
    return op("WRITE", Xdr().fixed(stateid).u64(offset).u32(stable).opaque(data).bytes(),
              lambda r: (r.u32(), r.u32(), r.fixed(8)))  # count, committed, verifier


def commit_op(offset=0, count=0):
    """COMMIT (count 0: to the end of the file); the result is the write verifier."""
    return op("COMMIT", Xdr().u64(offset).u32(count).bytes(), lambda r: r.fixed(8))


def open_existing_op(clientid, owner, name):
    """OPEN CLAIM_NULL without create: a verifier must not conjure up a missing file."""
    e = Xdr().u32(0).u32(OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG).u32(0)
    e.u64(clientid).opaque(owner).u32(OPEN4_NOCREATE).u32(CLAIM_NULL).string(name)
    return op("OPEN", e.bytes(), decode_open)


def crash_file(prefix, index, low, high):
    """Name, content and stability of file `index`: sizes log-uniform in [low, high] and
    content fixed by the name, so a run can be replayed; UNSTABLE and FILE_SYNC alternate."""
    name = f"{prefix}f-{index:04d}"
    fraction = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") / 2 ** 32
    size = max(1, int(low * (high / low) ** fraction))
    return name, pattern("crash-matrix", name, size), UNSTABLE4 if index % 2 == 0 else FILE_SYNC4


def write_and_commit(client, fh, stateid, data, stable):
    """WRITEs, then COMMIT. The data is safe only if COMMIT returns the verifier every WRITE
    returned (RFC 5661 18.32.3); a different one means the server lost it: send it again."""
    for attempt in range(3):
        verifiers, done = set(), 0
        while done < len(data):
            count, committed, verifier = client.compound([putfh(fh), write_how_op(
                stateid, done, data[done:done + BULK], stable)])[1]
            if count == 0:
                raise ValueError("server wrote 0 bytes")
            if committed < stable:
                raise ValueError(f"asked {STABLE_HOW[stable]}, got {STABLE_HOW.get(committed)}")
            verifiers.add(verifier)
            done += count
        committed_verifier = client.compound([putfh(fh), commit_op()])[1]
        if verifiers == {committed_verifier}:
            return
        emit("verifier-changed", attempt=attempt, writes=[v.hex() for v in verifiers],
             commit=committed_verifier.hex())
    raise RuntimeError("the write verifier kept changing")


def run_write_files(args):
    """Writes files until --max-files or the connection is lost; prints `committed` for each
    file only after its WRITEs and COMMIT returned NFS4_OK."""
    client = fresh_client(args)
    owner = f"{args.owner}/open".encode()
    deadline = time.monotonic() + args.grace_wait
    index, in_flight = 0, None
    try:
        while args.max_files == 0 or index < args.max_files:
            name, data, stable = crash_file(args.prefix, index, args.min_bytes, args.max_bytes)
            in_flight = name
            fh, sid = retry_grace(lambda: client.open_by_name(args.export, name, owner),
                                  deadline, "OPEN")
            if index == 0:
                emit("writing", first=name)
            write_and_commit(client, fh, sid, data, stable)
            emit("committed", name=name, size=len(data), sha256=sha256(data),
                 stable=STABLE_HOW[stable])
            in_flight = None
            client.compound([putfh(fh), close_op(sid)])
            index += 1
    except ServerLost as exc:
        # Expected: the test kills the server under us. What was committed is on stdout.
        emit("server-lost", reason=str(exc), in_flight=in_flight, committed=index)
        return
    client.destroy()


def open_existing(client, export, name, owner):
    ops = [putrootfh()] + [lookup(p) for p in export.strip("/").split("/") if p]
    results = client.compound(ops + [open_existing_op(client.clientid, owner, name), getfh()])
    return results[-1], results[-2]  # file handle, open stateid


def read_to_eof(client, fh, stateid, limit):
    data = b""
    while len(data) < limit:
        eof, chunk = client.compound([putfh(fh), read_op(
            stateid, len(data), min(BULK, limit - len(data)))])[1]
        data += chunk
        if eof or not chunk:
            break
    return data


def run_verify_files(args):
    """Reads back every file a `committed` line of --manifest names (the writers' stdout,
    concatenated) and compares size and SHA-256; prints `mismatch` per bad file, then
    `verify-done`. Its client is destroyed at the end, so it leaves no recovery record."""
    expected = {}
    with open(args.manifest, encoding="utf-8") as lines:
        for line in lines:
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a writer killed mid-line
            if item.get("event") == "committed":
                expected[item["name"]] = (item["size"], item["sha256"])
    client = fresh_client(args)
    owner = f"{args.owner}/open".encode()
    deadline = time.monotonic() + args.grace_wait
    good = good_bytes = bad = 0
    for name, (size, digest) in expected.items():
        try:
            fh, sid = retry_grace(lambda: open_existing(client, args.export, name, owner),
                                  deadline, "OPEN")
        except NfsError as exc:
            if exc.status != ERR["NFS4ERR_NOENT"]:
                raise
            emit("mismatch", name=name, why="missing", expected_size=size)
            bad += 1
            continue
        data = read_to_eof(client, fh, sid, size + BULK)  # reads past size: extra bytes count
        client.compound([putfh(fh), close_op(sid)])
        if len(data) == size and sha256(data) == digest:
            good, good_bytes = good + 1, good_bytes + size
        else:
            emit("mismatch", name=name, why="content", size=len(data), expected_size=size,
                 sha256=sha256(data), expected_sha256=digest)
            bad += 1
    emit("verify-done", files=good, bytes=good_bytes, mismatches=bad)
    client.destroy()


def add_crash_modes(sub, common):
    """The write-files and verify-files subcommands (see run_write_files, run_verify_files)."""
    owned = argparse.ArgumentParser(add_help=False, parents=[common])
    owned.add_argument("--export", required=True)
    owned.add_argument("--owner", required=True, help="client owner string (stable)")
    owned.add_argument("--verifier", help="16 hex digits; default: new per process (boot)")
    owned.add_argument("--grace-wait", type=float, default=120.0)
    writer = sub.add_parser("write-files", parents=[owned])
    writer.add_argument("--prefix", required=True, help="file names: PREFIXf-0000, ...")
    writer.add_argument("--min-bytes", type=int, default=4096)
    writer.add_argument("--max-bytes", type=int, default=1 << 20)
    writer.add_argument("--max-files", type=int, default=0, help="0: until the server goes")
    verifier = sub.add_parser("verify-files", parents=[owned])
    verifier.add_argument("--manifest", required=True, help="JSON lines with committed events")


# ---------------------------------------------------------------- --source-address / read-once
# Access tests need clients the server sees at different addresses. All of 127.0.0.0/8 is
# loopback on Linux, so binding the socket to 127.0.0.3 before connecting to 127.0.0.1 makes
# this process "another host" for the server's client list.
SOURCE_ADDRESS = None  # (address, 0) when set; read by RpcConnection


def add_read_once(sub, files):
    reader = sub.add_parser("read-once", parents=[files])
    reader.add_argument("--bytes", type=int, default=4096)


def use_source_address(args):
    global SOURCE_ADDRESS
    if getattr(args, "source_address", None):
        SOURCE_ADDRESS = (args.source_address, 0)


def run_read_once(args):
    """OPEN --file, READ up to --bytes from offset 0, CLOSE, DESTROY_*: shows the export
    serves this client, and what it read (sha256)."""
    client = fresh_client(args)
    deadline = time.monotonic() + args.grace_wait
    fh, sid = retry_grace(lambda: client.open_by_name(
        args.export, args.file, f"{args.owner}/open".encode()), deadline, "OPEN")
    data = client.read_all(fh, sid, 0, args.bytes)
    client.compound([putfh(fh), close_op(sid)])
    emit("read", bytes=len(data), sha256=sha256(data))
    client.destroy()


# ---------------------------------------------------------------- process plumbing
WAKEUP_READ = None


def install_signal_wakeup(holder):
    """SIGTERM/SIGINT set holder.stop; the self-pipe wakes the select() in Holder._wait."""
    global WAKEUP_READ
    WAKEUP_READ, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end)

    def handler(signum, _frame):
        holder.stop = True

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def stdin_is_watched():
    """Only a pipe, socket or terminal on stdin can signal "stop" by EOF: a background job's
    /dev/null would otherwise end the hold at once."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(sys.stdin.fileno())


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    common = argparse.ArgumentParser(add_help=False)
    # Added here, before any subcommand copies `common`: see use_source_address.
    common.add_argument("--source-address", help="bind the client socket to this address first")
    common.add_argument("--server", default="127.0.0.1")
    common.add_argument("--port", type=int, default=2049)
    common.add_argument("--timeout", type=float, default=30.0, help="per RPC, seconds")
    sub.add_parser("null", parents=[common])
    files = argparse.ArgumentParser(add_help=False, parents=[common])
    files.add_argument("--export", required=True, help="pseudo path, e.g. vol-r")
    files.add_argument("--file", required=True)
    files.add_argument("--owner", required=True, help="client owner string (stable)")
    files.add_argument("--verifier", help="16 hex digits; default: new per process (boot)")
    files.add_argument("--grace-wait", type=float, default=120.0,
                       help="how long to retry NFS4ERR_GRACE, seconds")
    locks = argparse.ArgumentParser(add_help=False)
    number = lambda v: int(v, 0)  # accepts 0x... as well
    locks.add_argument("--lock-offset", type=number, default=0)
    locks.add_argument("--lock-length", type=number, default=100,
                       help="0: take no lock; 0xffffffffffffffff: to end of file")
    hold = sub.add_parser("hold", parents=[files, locks])
    hold.add_argument("--write-bytes", type=int, default=4096)
    hold.add_argument("--duration", type=float, default=120.0)
    hold.add_argument("--renew", type=float, default=5.0, help="SEQUENCE interval, seconds")
    hold.add_argument("--reconnect-timeout", type=float, default=120.0)
    hold.add_argument("--no-destroy", action="store_true",
                      help="exit without CLOSE/DESTROY_*: leave the recovery record behind")
    hold.add_argument("--exit-after-reclaim", action="store_true")
    hold.add_argument("--probe-grace", action="store_true",
                      help="after a reclaim, also time a new OPEN (grace lifted)")
    sub.add_parser("try-open", parents=[files])
    sub.add_parser("try-lock", parents=[files, locks])
    once = sub.add_parser("write-once", parents=[files])
    once.add_argument("--bytes", type=int, default=4096)
    add_crash_modes(sub, common)
    add_read_once(sub, files)
    args = parser.parse_args(argv)
    if getattr(args, "owner", None) is not None:
        # The boot verifier: fixed for this process, so a restarted client is recognised
        # as a new incarnation while a restarted server sees the same one.
        args.verifier = bytes.fromhex(args.verifier) if args.verifier else \
            struct.pack(">Q", time.time_ns())
        if len(args.verifier) != 8:
            parser.error("--verifier must be 16 hex digits")
    return args


def main(argv):
    args = parse_args(argv)
    use_source_address(args)
    holder = None
    try:
        if args.mode == "null":
            run_null(args)
        elif args.mode == "hold":
            holder = Holder(args, Client(args, args.owner, args.verifier))
            install_signal_wakeup(holder)
            holder.run()
        elif args.mode == "read-once":
            run_read_once(args)
        else:
            {"try-open": run_try_open, "try-lock": run_try_lock,
             "write-once": run_write_once, "write-files": run_write_files,
             "verify-files": run_verify_files}[args.mode](args)
    except (NfsError, ServerLost, ValueError, RuntimeError, OSError) as exc:
        if isinstance(exc, NfsError):
            emit("error", message=str(exc), op=exc.op, status=status_name(exc.status))
        else:
            emit("error", message=f"{type(exc).__name__}: {exc}")
        if holder:
            holder.cleanup_after_error()
        for client in FRESH_CLIENTS:
            if client.sessionid is not None:
                try:
                    client.destroy()
                except (ServerLost, NfsError, ValueError, OSError):
                    pass  # e.g. CLIENTID_BUSY: the lease expires on its own
        return 1
    emit("exit", status=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
