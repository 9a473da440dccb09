#!/bin/sh
# Runs the ganesha.nfsd of another Debian root (scripts/verify-runtime.sh --release trixie
# makes one) in place of the host's, so that the tests and bench/ run against Ganesha 6.5
# with everything else unchanged: share-manager, the bus daemon and the clients stay on the
# host. scripts/test.sh links this file as `ganesha.nfsd` into a folder put first on PATH,
# which share-manager and the tests search for ganesha.nfsd.
#
#   SHARE_MANAGER_GANESHA_ROOT=/path/to/root ganesha.nfsd <ganesha's arguments>
#
# Every step execs the next, so the pid the caller spawned is Ganesha's own: signals,
# waitpid, /proc/<pid> and the listening-socket lookup by pid all reach Ganesha itself.
# Ganesha gets a mount namespace of its own, in which the host's /dev, /proc, /sys, /tmp,
# /run and /var/tmp (with every mount beneath them, such as the test's volume) are bound
# over the root's, plus each folder in SHARE_MANAGER_GANESHA_BINDS (colon-separated): the
# config, pid file, log, bus socket, export and recovery paths the callers use all lie
# there. What the host mounts below them after Ganesha started is not seen (this machine's
# mounts are private, so nothing propagates): share-manager and the fixtures mount the
# volume before they start Ganesha. Needs root (unshare, mount, chroot).
set -eu
root=${SHARE_MANAGER_GANESHA_ROOT:?"names the Debian root whose ganesha.nfsd runs (e.g. .build-rootfs-trixie)"}
[ -x "$root/usr/bin/ganesha.nfsd" ] || {
    echo "ganesha-in-root.sh: $root/usr/bin/ganesha.nfsd is missing; run scripts/verify-runtime.sh --release <release> first" >&2
    exit 127
}
exec unshare --mount --propagation private -- /bin/sh -ec '
    root=$1; shift
    IFS=:
    for d in /dev /proc /sys /tmp /run /var/tmp ${SHARE_MANAGER_GANESHA_BINDS:-}; do
        [ -n "$d" ] || continue
        mkdir -p "$root$d"
        mount --rbind "$d" "$root$d"
    done
    unset IFS
    exec chroot "$root" /usr/bin/ganesha.nfsd "$@"
' ganesha-in-root "$root" "$@"
