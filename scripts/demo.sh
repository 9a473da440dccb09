#!/usr/bin/env bash
# Installs what is needed, builds share-manager and serves a demo volume from an image
# file until Ctrl-C. Needs root (it attaches a loop device and mounts it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product share-manager

dir=/var/tmp/share-manager-demo
mkdir -p "$dir"
[ -e "$dir/demo.img" ] || truncate -s 1G "$dir/demo.img"
nfs_port=${NFS_PORT:-2049}
http_port=${HTTP_PORT:-9500}
echo "NFS:     nfs://127.0.0.1:$nfs_port/demo   (clients mount 127.0.0.1:/demo, NFSv4.1)"
echo "metrics: http://127.0.0.1:$http_port/metrics   (also /healthz, /readyz)"
echo "Ctrl-C stops it in order; the image keeps its data for the next run."
exec .build/release/share-manager run --volume demo --device "$dir/demo.img" \
    --mount-point "$dir/mnt" --state-dir /run/share-manager/demo \
    --nfs-address 127.0.0.1 --nfs-port "$nfs_port" --http-address 127.0.0.1 --http-port "$http_port"
