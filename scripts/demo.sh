#!/usr/bin/env bash
# Installs what building and serving need, builds share-manager, and serves a demo volume
# from an image file until Ctrl-C, which stops it in order. Needs root (it attaches a loop
# device and mounts it). Prints the mount command once the export is ready.
#
# Environment: NFS_PORT (2049; 0 lets Ganesha pick), HTTP_PORT (9500; 0 picks a free one),
# NFS_ADDRESS (127.0.0.1; 0.0.0.0 serves other hosts), DEMO_DIR (/var/tmp/share-manager-demo:
# the image, the mount point and the state dir), SHARE_MANAGER (a built binary: then
# nothing is installed or built).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SHARE_MANAGER:-}" ]; then
    scripts/install-deps.sh --serve
    swift build -c release --product share-manager
    SHARE_MANAGER=.build/release/share-manager
fi
nfs_port=${NFS_PORT:-2049}
http_port=${HTTP_PORT:-9500}
address=${NFS_ADDRESS:-127.0.0.1}
dir=${DEMO_DIR:-/var/tmp/share-manager-demo}
state=$dir/state

# Debian's nfs-ganesha package brings its own server, nfs-ganesha.service, on port 2049.
if [ "$nfs_port" = 2049 ] && [ -d /run/systemd/system ] && systemctl is-active --quiet nfs-ganesha.service; then
    echo "demo.sh: Debian's nfs-ganesha.service is running and holds port 2049; stop it" \
        "(systemctl disable --now nfs-ganesha) or choose another port (NFS_PORT=12049 $0)" >&2
    exit 1
fi
if [ "$nfs_port" != 0 ] && (exec 3<>"/dev/tcp/127.0.0.1/$nfs_port") 2>/dev/null; then
    echo "demo.sh: something already listens on port $nfs_port; choose another (NFS_PORT=12049 $0)" >&2
    exit 1
fi

mkdir -p "$dir"
[ -e "$dir/demo.img" ] || truncate -s 1G "$dir/demo.img"
rm -f "$state/endpoint.json" "$state/http-port"
# A session of its own: Ctrl-C reaches only this script, which turns it into one SIGTERM
# (share-manager takes a second signal as "stop now").
setsid "$SHARE_MANAGER" run --volume demo --device "$dir/demo.img" --mount-point "$dir/mnt" \
    --state-dir "$state" --nfs-address "$address" --nfs-port "$nfs_port" \
    --http-address 127.0.0.1 --http-port "$http_port" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM

ready() {
    local port status
    port=$(cat "$state/http-port" 2>/dev/null) || return 1
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET /readyz HTTP/1.0\r\n\r\n' >&3
    read -r _ status _ <&3 || status=
    exec 3>&-
    [ "$status" = 200 ]
}
until ready 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$pid" 2>/dev/null; then
    port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$state/endpoint.json")
    host=$address
    [ "$host" = 0.0.0.0 ] && host=$(hostname -I | cut -d' ' -f1)
    echo
    echo "The export is ready: NFSv4.1 over TCP at $host port $port, path /demo."
    echo "Mount it on a Linux client that has the nfs-common package (apt-get install nfs-common):"
    echo
    echo "    mkdir -p /mnt/demo"
    echo "    mount -t nfs4 -o vers=4.1,port=$port,proto=tcp,noresvport,softerr,timeo=600,retrans=5 $host:/demo /mnt/demo"
    echo
    [ "$address" = 127.0.0.1 ] && echo "(NFS_ADDRESS=0.0.0.0 $0 serves other hosts too.)"
    echo "metrics: http://127.0.0.1:$(cat "$state/http-port")/metrics   (also /healthz, /readyz)"
    echo "Ctrl-C stops it in order; the image keeps its data for the next run."
fi
status=0
wait "$pid" || status=$?
# A signal interrupts `wait`; share-manager is still stopping: wait for its own status.
while kill -0 "$pid" 2>/dev/null; do
    status=0
    wait "$pid" || status=$?
done
exit "$status"
