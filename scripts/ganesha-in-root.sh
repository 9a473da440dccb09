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
#
# Ganesha gets a mount namespace of its own with the host's /dev, /proc and /sys, and the
# folders its files lie in bound (with the mounts beneath them) over the root's: the
# folders of -f, -p and -L, of the bus socket, and of every Path, RecoveryRoot and
# %include in the config; a path in /tmp/<x> or /var/tmp/<x> brings all of that <x>, which
# is where a test or a benchmark keeps its state dir, mount point and later exports. Plus
# each folder in SHARE_MANAGER_GANESHA_BINDS (colon-separated).
# Not the whole of /tmp: a private copy of a mount keeps its filesystem, and the autoclear
# loop device under it, until Ganesha's namespace is freed, which the kernel does a little
# after Ganesha was reaped: another test's volume would stay attached after its unmount,
# and so would Ganesha's own volume for a moment after share-manager unmounted it (the
# next start then finds the image attached). So the namespace takes slave copies: when the
# folders lie in a shared mount (scripts/test.sh's second pass sets TMPDIR to one), the
# host's unmount removes Ganesha's copy with its own, as in one namespace, and what the
# host mounts there later appears in Ganesha's view too. Elsewhere (private mounts) the
# copies are private, with the delay above. Needs root (unshare, mount, chroot).
set -eu
root=${SHARE_MANAGER_GANESHA_ROOT:?"names the Debian root whose ganesha.nfsd runs (e.g. .build-rootfs-trixie)"}
[ -x "$root/usr/bin/ganesha.nfsd" ] || {
    echo "ganesha-in-root.sh: $root/usr/bin/ganesha.nfsd is missing; run scripts/verify-runtime.sh --release <release> first" >&2
    exit 127
}

# The folder to bind for one path: <x> for /tmp/<x>/... and /var/tmp/<x>/..., else the
# path itself when it is a folder, else its parent.
anchor() {
    case "$1" in
        /dev/* | /proc/* | /sys/*) ;;
        /tmp/?*/?*) echo "$1" | cut -d/ -f1-3 ;;
        /tmp/?*) echo "$1" ;;
        /var/tmp/?*/?*) echo "$1" | cut -d/ -f1-4 ;;
        /var/tmp/?*) echo "$1" ;;
        /*) if [ -d "$1" ]; then echo "$1"; else dirname "$1"; fi ;;
    esac
}
config=""
paths=""
previous=""
for arg in "$@"; do
    case "$previous" in
        -f) config=$arg; paths="$paths$arg
" ;;
        -p | -L) paths="$paths$arg
" ;;
    esac
    previous=$arg
done
bus=${DBUS_SYSTEM_BUS_ADDRESS:-}
case "$bus" in unix:path=*) bus=${bus#unix:path=}; paths="$paths${bus%%,*}
" ;; esac
if [ -n "$config" ] && [ -r "$config" ]; then
    # Ganesha's keys are case-insensitive; values may be quoted.
    value='[[:space:]]*=[[:space:]]*"\{0,1\}\([^";]*\)"\{0,1\}[[:space:]]*;'
    included=$(sed -n 's/^[[:space:]]*%include[[:space:]]*"\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' "$config")
    for file in "$config" $included; do
        [ -r "$file" ] || continue
        paths="$paths$(sed -n "s/^[[:space:]]*\(path\|recoveryroot\)$value.*/\2/Ip" "$file")
$included
"
    done
fi
binds=$(printf '%s' "$paths" | while IFS= read -r p; do [ -n "$p" ] && anchor "$p"; done | sort -u)
binds="$binds
$(printf '%s' "${SHARE_MANAGER_GANESHA_BINDS:-}" | tr ':' '\n')"

exec unshare --mount --propagation slave -- /bin/sh -ec '
    root=$1 binds=$2; shift 2
    for d in /dev /proc /sys; do mount --rbind "$d" "$root$d"; done
    printf "%s\n" "$binds" | while IFS= read -r d; do
        [ -n "$d" ] && [ -d "$d" ] || continue
        mkdir -p "$root$d"
        mount --rbind "$d" "$root$d"
    done
    exec chroot "$root" /usr/bin/ganesha.nfsd "$@"
' ganesha-in-root "$root" "$binds" "$@"
