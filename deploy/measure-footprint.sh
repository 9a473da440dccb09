#!/usr/bin/env bash
# Measures what one share-manager Pod uses, to size the requests and limits in
# share-manager-statefulset.yaml: resident memory (VmRSS now, VmHWM for the peak) and CPU
# time of share-manager, ganesha.nfsd and the private dbus-daemon, idle under probe and
# scrape traffic and around a 64 MiB NFSv4.1 write, plus the memory cgroup's own count
# (page cache included, as the kubelet counts it against a limit).
#
# The run imitates the Pod's filesystem, so that it also proves the manifest's writable
# paths are enough: share-manager runs in a private mount namespace whose root is
# read-only (readOnlyRootFilesystem), with tmpfs only where the StatefulSet mounts
# emptyDirs (state dir, mount point parent, /tmp), with no_new_privs
# (allowPrivilegeEscalation: false), and it gets a block device (a loop device attached
# here), as volumeDevices gives it, not an image file.
#
#   swift build -c release --product share-manager --scratch-path .build-deploy
#   deploy/measure-footprint.sh .build-deploy/release/share-manager
#
# (add --static-swift-stdlib to the build to measure the binary as the image links it)
#
# Root (loop device, mounts) and the test venv (scripts/install-deps.sh). Loopback only;
# every process started here is stopped by PID, the loop device detached, the folder removed.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=$(realpath "${1:-.build/release/share-manager}")
python=$PWD/.venv/bin/python
client=$PWD/Tests/IntegrationTests/Tools/nfs_client.py
lock_client=$PWD/Tests/IntegrationTests/Tools/nfs41_client.py
volume=pvc-footprint
write_bytes=$((64 * 1024 * 1024))
idle_seconds=${IDLE_SECONDS:-30}
files_count=${FILES:-5000}

[ "$(id -u)" -eq 0 ] || { echo "measure-footprint.sh: needs root (loop device, mounts)" >&2; exit 1; }
[ -x "$binary" ] || { echo "measure-footprint.sh: no share-manager at $binary" >&2; exit 1; }
[ -x "$python" ] || { echo "measure-footprint.sh: no venv at .venv (scripts/install-deps.sh)" >&2; exit 1; }

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
nfs_port=$(free_port)
http_port=$(free_port)
work=$(mktemp -d /var/tmp/sm-footprint.XXXXXX)
mkdir "$work/run" "$work/export"
truncate -s 1G "$work/volume.img"
loop=$(losetup --find --show "$work/volume.img")

# A memory cgroup of our own (v1 here) shows what a Pod limit would count; optional.
cgroup=""
parent=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
if [ -n "$parent" ] && mkdir "/sys/fs/cgroup/memory${parent%/}/sm-footprint-$$" 2>/dev/null; then
    cgroup="/sys/fs/cgroup/memory${parent%/}/sm-footprint-$$"
fi

sm=""
cleanup() {
    set +e
    if [ -n "$sm" ] && kill -0 "$sm" 2>/dev/null; then
        kill -TERM "$sm"
        for _ in $(seq 50); do kill -0 "$sm" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$sm" 2>/dev/null
    fi
    wait 2>/dev/null
    # The mount lived only in share-manager's namespace, which is gone with its processes.
    losetup -d "$loop"
    # Ganesha and the bus die with share-manager, a moment later: wait for the cgroup to empty.
    if [ -n "$cgroup" ]; then
        for _ in $(seq 30); do rmdir "$cgroup" 2>/dev/null && break; sleep 0.1; done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# TRACE_TO=FILE runs share-manager under strace -f (every syscall of every process, to
# check them against a seccomp profile); FILE must be on a mount that stays writable,
# such as /dev/shm. The figures of such a run are not the real ones.
export WORK=$work CGROUP=$cgroup BINARY=$binary TRACE_TO=${TRACE_TO:-}
env -u DBUS_SYSTEM_BUS_ADDRESS \
    SHARE_MANAGER_VOLUME=$volume SHARE_MANAGER_DEVICE="$loop" \
    SHARE_MANAGER_STATE_DIR="$work/run/$volume" SHARE_MANAGER_MOUNT_POINT="$work/export/$volume" \
    SHARE_MANAGER_NFS_ADDRESS=127.0.0.1 SHARE_MANAGER_NFS_PORT="$nfs_port" \
    SHARE_MANAGER_HTTP_ADDRESS=127.0.0.1 SHARE_MANAGER_HTTP_PORT="$http_port" \
    SHARE_MANAGER_SHUTDOWN_TIMEOUT=20 SHARE_MANAGER_NUMERIC_OWNERS=true \
    unshare --mount --propagation private -- /bin/sh -c '
        set -e
        if [ -n "$CGROUP" ]; then echo $$ > "$CGROUP/cgroup.procs"; fi
        mount -t tmpfs -o size=16m,mode=0755 state "$WORK/run"
        mount -t tmpfs -o size=1m,mode=0755 export "$WORK/export"
        # Ganesha tests OFD locks with a file in /tmp at start: without a writable /tmp it
        # logs CRIT and keeps locks in its own memory only, unlike every test run here.
        mount -t tmpfs -o size=1m,mode=1777 tmp /tmp
        # Per-mount read-only (bind): the host keeps its read-write root.
        mount -o remount,bind,ro /
        # no_new_privs, as allowPrivilegeEscalation: false sets it.
        if [ -n "$TRACE_TO" ]; then exec strace -f -qq -o "$TRACE_TO" setpriv --no-new-privs "$BINARY" run; fi
        exec setpriv --no-new-privs "$BINARY" run' >"$work/share-manager.log" 2>&1 &
sm=$!

started=$(date +%s.%N)
for _ in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/readyz")" = 200 ] && break
    kill -0 "$sm" 2>/dev/null || { cat "$work/share-manager.log" >&2; echo "share-manager exited before ready" >&2; exit 1; }
    sleep 0.1
done
ready=$(date +%s.%N)
state=/proc/$sm/root$work/run/$volume
# Under strace, share-manager is strace's child; signals and figures go to it.
smpid=$sm
if [ -n "$TRACE_TO" ]; then smpid=$(pgrep -P "$sm" -x share-manager); fi
ganesha=$(cat "$state/ganesha.pid")
dbus=$(cat "$state/dbus.pid")

ticks_per_second=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
snapshot() {
    for name in share-manager ganesha dbus; do
        case $name in share-manager) pid=$smpid ;; ganesha) pid=$ganesha ;; dbus) pid=$dbus ;; esac
        printf '%-14s VmRSS %6d KiB (anon %6d, file %6d)  VmHWM %6d KiB  cpu %5d ticks\n' "$name" \
            "$(status_kib "$pid" VmRSS)" "$(status_kib "$pid" RssAnon)" "$(status_kib "$pid" RssFile)" \
            "$(status_kib "$pid" VmHWM)" "$(cpu_ticks "$pid")"
    done
}
cgroup_report() {
    [ -n "$cgroup" ] || { echo "cgroup: not available"; return; }
    awk '$1 == "total_rss" || $1 == "total_cache" || $1 == "total_shmem" { printf "cgroup %s %.1f MiB\n", $1, $2 / 1048576 }' "$cgroup/memory.stat"
    awk '{ printf "cgroup usage %.1f MiB\n", $1 / 1048576 }' "$cgroup/memory.usage_in_bytes"
    awk '{ printf "cgroup max_usage %.1f MiB\n", $1 / 1048576 }' "$cgroup/memory.max_usage_in_bytes"
}
total_ticks() { echo $(( $(cpu_ticks "$smpid") + $(cpu_ticks "$ganesha") + $(cpu_ticks "$dbus") )); }

echo "== start to ready: $(echo "$ready - $started" | bc) s"
echo "== just ready"; snapshot

# Idle as in a cluster: kubelet probes (readiness every 2 s, liveness every 5 s) and a
# Prometheus scrape every 30 s, for idle_seconds.
before=$(total_ticks)
for i in $(seq "$idle_seconds"); do
    [ $((i % 2)) -eq 0 ] && curl -s -o /dev/null "http://127.0.0.1:$http_port/readyz"
    [ $((i % 5)) -eq 0 ] && curl -s -o /dev/null "http://127.0.0.1:$http_port/healthz"
    [ $((i % 30)) -eq 1 ] && curl -s -o /dev/null "http://127.0.0.1:$http_port/metrics"
    sleep 1
done
idle=$(( $(total_ticks) - before ))
echo "== idle ${idle_seconds} s with probes: $idle ticks = $(echo "scale=1; 1000 * $idle / $ticks_per_second / $idle_seconds" | bc) millicores"
snapshot
cgroup_report

echo "== 64 MiB write"
before=$(total_ticks)
write_start=$(date +%s.%N)
"$python" "$client" write "nfs://127.0.0.1:$nfs_port/$volume?version=4.1" f.bin "$write_bytes" >/dev/null
write_end=$(date +%s.%N)
used=$(( $(total_ticks) - before ))
elapsed=$(echo "$write_end - $write_start" | bc)
echo "write took $elapsed s, server CPU $used ticks = $(echo "scale=2; $used / $ticks_per_second" | bc) s"
snapshot
cgroup_report

echo "== a byte-range lock"
"$python" "$lock_client" try-lock --port "$nfs_port" --export "$volume" --file f.bin --owner footprint \
    | grep '"event": "lock"' | tee "$work/lock.json"
grep -q '"NFS4_OK"' "$work/lock.json" || { echo "the lock was refused" >&2; exit 1; }

# Ganesha caches an entry per file it has seen (up to Entries_HWMark, 100000 by default):
# the one-file write above does not show that growth, this does.
echo "== $files_count small files created over one connection"
before=$(total_ticks)
"$python" - "nfs://127.0.0.1:$nfs_port/$volume?version=4.1" "$files_count" <<'PY'
import sys
from nfs_rs import Client
with Client.connect(sys.argv[1], connect_timeout=10, operation_timeout=60) as client:
    for i in range(int(sys.argv[2])):
        with client.open(f"small-{i:06d}", "wb") as file:
            file.write(b"x")
PY
echo "server CPU $(( $(total_ticks) - before )) ticks"
snapshot
cgroup_report

echo "== stop"
stop_start=$(date +%s.%N)
kill -TERM "$smpid"
set +e
wait "$sm"
code=$?
set -e
sm=""
echo "exit $code after $(echo "$(date +%s.%N) - $stop_start" | bc) s"
# Ganesha's known harmless lines (no rpcbind, Kerberos or RADOS) are logged at info or
# debug (Sources/Supervisor/KnownGaneshaLines.swift); anything left here means something.
echo "== warnings and errors in the log"
grep -E ' level=(warning|error|critical) ' "$work/share-manager.log" \
    | sed -E 's/^[^ ]+ //; s/ganesha\.nfsd-[0-9]+\[[a-z_0-9]+\]/ganesha.nfsd/; s/^.*epoch [0-9a-f]+ : [^ ]+ : //' \
    | sort | uniq -c || true
if grep -Ei 'read-only file system|EROFS' "$work/share-manager.log"; then
    echo "== a write outside the emptyDirs failed: the manifest's writable paths are not enough" >&2
    exit 1
fi
[ "$code" -eq 0 ]
