#!/usr/bin/env bash
# Checks the image's runtime stage without a container engine or a registry: debootstraps a
# minimal Debian release (the Containerfile's DEBIAN_RELEASE, or --release) into
# .build-rootfs-<release>/, installs exactly the Containerfile's runtime package list there,
# adds the release binary and templates as the build stage produces them, and
# runs them in the chroot. Then, unless --no-serve, starts share-manager the way the image's
# ENTRYPOINT does (tini as PID 1 of its own PID namespace, with only the capabilities
# docs/container.md asks for) against a loop image, and checks /readyz, an NFS write and
# read, SIGHUP, and a SIGTERM stop with exit 0.
# Each release keeps a root of its own (gitignored), which scripts/ganesha-in-root.sh also
# runs the tests' Ganesha from. Needs root, Swift on PATH and the build libraries
# (scripts/install-deps.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
containerfile=$checkout/Containerfile
usage="usage: scripts/verify-runtime.sh [--release bookworm|trixie] [--no-serve]"
serve=1
release=$(sed -n 's/^ARG DEBIAN_RELEASE=//p' "$containerfile")
while [ $# -gt 0 ]; do
    case "$1" in
        --no-serve) serve=0 ;;
        --release) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; release=$2; shift ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done
case "$release" in
    bookworm | trixie) ;;
    *) echo "verify-runtime.sh: release '$release' is not one the Containerfile builds (bookworm, trixie)" >&2; exit 2 ;;
esac
root=$checkout/.build-rootfs-$release
# Outside the root, so they neither count in its size nor go when it is rebuilt; gitignored.
logs=$checkout/.build-rootfs-$release-logs

if [ "$(id -u)" -ne 0 ]; then
    echo "verify-runtime.sh: run as root: it debootstraps, chroots and mounts" >&2
    exit 1
fi
mkdir -p "$logs"
step() { printf '\n==> %s\n' "$*"; }
fail() { echo "verify-runtime.sh: FAILED: $*" >&2; exit 1; }

# ---- what the Containerfile says (the one source of truth)
# The package words sit between two marker comments inside the runtime stage's RUN.
mapfile -t packages < <(sed -n '/^# runtime-packages:begin/,/^# runtime-packages:end/{/^#/d;s/\\//g;p}' "$containerfile" | tr -s ' \t' '\n' | sed '/^$/d')
[ "${#packages[@]}" -gt 0 ] || fail "no package list between the runtime-packages markers in Containerfile"
for p in "${packages[@]}"; do
    [[ $p =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || fail "'$p' between the Containerfile markers is not a package name"
done
# The build stage's swift build line, run here word for word.
read -ra build_cmd < <(sed -n 's/^RUN \(swift build [^&\\]*\).*/\1/p' "$containerfile")
[ "${build_cmd[0]:-}" = swift ] || fail "no 'RUN swift build ...' line in Containerfile"
scratch=.build
for ((i = 0; i < ${#build_cmd[@]}; i++)); do
    [ "${build_cmd[i]}" = --scratch-path ] && scratch=${build_cmd[i + 1]}
done
mapfile -t entrypoint < <(sed -n 's/^ENTRYPOINT \[\(.*\)\]$/\1/p' "$containerfile" | grep -o '"[^"]*"' | tr -d '"')
[ "${#entrypoint[@]}" -gt 0 ] || fail "no exec-form ENTRYPOINT in Containerfile"
label_version=$(sed -n 's/^ARG VERSION=//p' "$containerfile")
# The runtime stage's setup step after the packages, as one shell command.
setup=$(sed -n '/^# runtime-setup:begin/,/^# runtime-setup:end/{/^#/d;p}' "$containerfile" | sed -e 's/^RUN //' -e 's/\\$//' | tr '\n' ' ')
[ -n "${setup// /}" ] || fail "no setup step between the runtime-setup markers in Containerfile"

# ---- tools on the host
if ! command -v debootstrap >/dev/null; then
    echo "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
if ! command -v strip >/dev/null; then
    echo "installing binutils (strip)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null
fi
command -v swift >/dev/null || fail "no 'swift' on PATH; install Swift 6.3 (swift.org)"

# The host's own Debian mirror for a suite, from one-line or deb822 sources: this machine
# may reach no other.
host_mirror() {
    local suite=$1 f
    {
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            awk -v s="$suite" '$1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == s) print $i
            }' "$f"
        done
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" } {
                uri = ""; suites = ""; types = ""; on = 1
                for (i = 1; i <= NF; i++) {
                    line = $i
                    if (line ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line); split(line, u, " "); uri = u[1] }
                    else if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); suites = " " line " " }
                    else if (line ~ /^Types:/) types = " " line " "
                    else if (line ~ /^Enabled:[ \t]*no/) on = 0
                }
                if (on && types ~ / deb / && index(suites, " " s " ")) print uri
            }' "$f"
        done
    } | head -n 1
}
mirror=$(host_mirror "$release")
mirror=${mirror:-http://deb.debian.org/debian}
security=$(host_mirror "$release-security")
security=${security:-http://deb.debian.org/debian-security}

# Never delete the root while something is mounted in it: a bound /dev would go with it.
unmount_root() {
    local m
    for m in $(findmnt -rn -o TARGET | grep -E "^$root(/|$)" | sort -r); do
        umount -R "$m" 2>/dev/null || umount -l "$m"
    done
    if findmnt -rn -o TARGET | grep -qE "^$root(/|$)"; then fail "$root still has mounts; unmount them first"; fi
}
wipe_root() {
    unmount_root
    rm -rf --one-file-system "$root"
}

# ---- the root: minbase $release, made once
stamp=$root/.verify-runtime-packages
wanted=$(printf '%s\n' "${packages[@]}" | sort -u)
if [ -d "$root" ] && [ ! -f "$root/.debootstrap-complete" ]; then
    step "an earlier debootstrap did not finish: starting over"
    wipe_root
fi
# A package taken off the list must not linger in the root: start over rather than purge.
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$wanted" ]; then
    step "the Containerfile's package list changed: starting over"
    wipe_root
fi
if [ ! -f "$root/.debootstrap-complete" ]; then
    step "debootstrap --variant=minbase $release from $mirror"
    debootstrap --variant=minbase "$release" "$root" "$mirror" >"$logs/debootstrap.log" 2>&1 \
        || fail "debootstrap (log: ${logs#"$checkout"/}/debootstrap.log)"
    du -sx --exclude="$root/var/cache/apt" --exclude="$root/var/lib/apt/lists" "$root" | cut -f1 >"$root/.minbase-kib"
    touch "$root/.debootstrap-complete"
fi
unmount_root

# The image's sources: the same suites debian:$release-slim lists, from the host's mirror.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $release $release-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $release-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A package's maintainer script must not start a daemon in the chroot (on the host's
# network); a container build has no init that would start one either.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# debian:*-slim installs packages without these paths; do the same so the size is the image's.
cat >"$root/etc/dpkg/dpkg.cfg.d/slim-paths" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF

missing=()
for p in "${packages[@]}"; do
    chroot "$root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    step "apt-get install --no-install-recommends ${packages[*]}"
    chroot "$root" apt-get update -qq
    chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" \
        >"$logs/apt.log" 2>&1 || fail "apt-get install in the chroot (log: ${logs#"$checkout"/}/apt.log)"
    # As the Containerfile does after its install.
    chroot "$root" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/*
fi
echo "$wanted" >"$stamp"
step "chroot: the runtime stage's setup step"
echo "$setup"
chroot "$root" /bin/sh -ec "$setup"

# ---- the binary and templates, as the build stage makes them
step "${build_cmd[*]}"
"${build_cmd[@]}" 2>&1 | tail -n 1
install -D -m 0755 "$scratch/release/share-manager" "$root/usr/bin/share-manager"
strip "$root/usr/bin/share-manager"
install -d "$root/usr/share/share-manager/ganesha-templates"
rm -f "$root"/usr/share/share-manager/ganesha-templates/*
install -m 0644 ganesha-templates/*.mustache "$root/usr/share/share-manager/ganesha-templates/"

# ---- checks in the chroot
# Swift's runtime finds argv through /proc/self/maps, so even --version needs a /proc (any
# container has one). It is mounted in a throw-away mount namespace: nothing to unmount.
in_root() {
    unshare --mount --propagation private -- sh -c 'root=$1; shift; mount -t proc proc "$root/proc" && exec chroot "$root" "$@"' \
        in_root "$root" "$@"
}
step "chroot: share-manager --version"
version=$(in_root /usr/bin/share-manager --version)
echo "$version"
[ "$version" = "$label_version" ] || fail "binary says $version, Containerfile's ARG VERSION says $label_version"

step "chroot: ganesha.nfsd -v"
in_root ganesha.nfsd -v

step "chroot: libraries share-manager loads"
libs=$(in_root ldd /usr/bin/share-manager)
echo "$libs"
if grep -q "not found" <<<"$libs"; then fail "a library share-manager needs is missing in the runtime"; fi
if grep -qi "swift" <<<"$libs"; then fail "share-manager links a Swift runtime library dynamically"; fi
ls -l "$root/usr/bin/share-manager" | awk '{printf "share-manager: %s bytes (stripped)\n", $5}'

step "chroot: share-manager render --volume v1 (finds the templates by itself)"
rendered=$(in_root /usr/bin/share-manager render --volume v1)
grep '^# =====' <<<"$rendered"
grep -q 'Pseudo = "/v1";' <<<"$rendered" || fail "render printed no export for v1"
[ "$(grep -c '^# =====' <<<"$rendered")" -ge 2 ] || fail "render did not print both files"

step "chroot: the entrypoint's programs exist"
for exe in "${entrypoint[@]}"; do
    case "$exe" in /*) [ -x "$root$exe" ] || fail "ENTRYPOINT names $exe, missing in the runtime"; echo "$exe" ;; esac
done

step "chroot: no compiler, no python3-nfs-ganesha"
installed=$(chroot "$root" dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 ~ /^ii/ {print $2}')
bad=$(grep -E '^(gcc|gcc-[0-9]+|g\+\+(-[0-9]+)?|cpp|cpp-[0-9]+|clang.*|llvm.*|tcc|build-essential|libc6-dev|python3-nfs-ganesha)(:.*)?$' <<<"$installed" || true)
[ -z "$bad" ] || fail "the runtime has: $bad"
for cc in cc gcc c++ g++ clang; do
    if chroot "$root" sh -c "command -v $cc" >/dev/null 2>&1; then fail "the runtime has a '$cc' on PATH"; fi
done
echo "none of gcc, g++, cpp, clang, llvm, tcc, libc6-dev, python3-nfs-ganesha installed; no cc/gcc/c++/g++/clang on PATH"
echo "$(wc -l <<<"$installed") packages installed; python3 present: $(grep -qx python3 <<<"$installed" && echo 'yes (nfs-common depends on it)' || echo no)"

step "size"
minbase_kib=$(cat "$root/.minbase-kib")
total_kib=$(du -sx --exclude="$root/var/cache/apt" --exclude="$root/var/lib/apt/lists" "$root" | cut -f1)
printf 'root without /var/cache/apt and apt lists: %s MiB (%s)\n' $((total_kib / 1024)) "$(du -shx --exclude="$root/var/cache/apt" --exclude="$root/var/lib/apt/lists" "$root" | cut -f1)"
printf 'debootstrap minbase alone: %s MiB; the runtime packages and share-manager add %s MiB\n' \
    $((minbase_kib / 1024)) $(((total_kib - minbase_kib) / 1024))

[ "$serve" -eq 1 ] || { step "skipped serving (--no-serve)"; echo "verify-runtime: OK"; exit 0; }

# ---- serve from the chroot as the image would
# The capabilities a Pod gets with drop: [ALL] and docs/container.md's add list, by bit;
# --no-new-privs below is its allowPrivilegeEscalation: false.
declare -A cap_bit=([chown]=0 [dac_override]=1 [dac_read_search]=2 [fowner]=3 [fsetid]=4
    [setgid]=6 [setuid]=7 [sys_admin]=21 [sys_resource]=24)
caps=sys_admin,dac_read_search,sys_resource,chown,dac_override,fowner,fsetid,setuid,setgid
cap_names() { # the names of our capabilities among the bits of a hex mask
    local mask=$((16#$1)) out="" c
    for c in ${caps//,/ }; do (((mask >> cap_bit[$c]) & 1)) && out+="$c "; done
    echo "${out% }"
}
command -v /usr/bin/python3 >/dev/null || fail "the NFS check needs /usr/bin/python3 on the host (scripts/install-deps.sh)"
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_get() { # prints the status code of GET $1 on 127.0.0.1:$http_port
    local code
    code=$({ exec 3<>"/dev/tcp/127.0.0.1/$http_port"; } 2>/dev/null && printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3 && head -n 1 <&3 | awk '{print $2}') || true
    echo "${code:-none}"
}
child_of() { local c; c=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || true; echo "${c%% *}"; }

image=/var/tmp/verify-runtime-v1.img
log=$logs/serve.log
http_port=$(free_port)
rm -f "$root$image"
truncate -s 256M "$root$image"
outer="" tini=""
cleanup() {
    if [ -n "$tini" ] && kill -0 "$tini" 2>/dev/null; then
        kill -TERM "$tini" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$tini" 2>/dev/null || break; sleep 1; done
    fi
    # unshare runs with --kill-child: killing it ends the whole PID namespace.
    if [ -n "$outer" ] && kill -0 "$outer" 2>/dev/null; then
        local inner; inner=$(child_of "$outer")
        [ -n "$inner" ] && kill -KILL "$inner" 2>/dev/null || true
        wait "$outer" 2>/dev/null || true
    fi
    local dev
    for dev in $(losetup -j "$root$image" -O NAME -n 2>/dev/null); do losetup -d "$dev" || true; done
    rm -f "$root$image"
}
trap cleanup EXIT

step "serve: ${entrypoint[*]} run, as PID 1 of a new PID namespace, no_new_privs, capabilities $caps"
# A capability this machine itself lacks cannot be granted; say so rather than fail.
host_bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
for c in ${caps//,/ }; do
    (((16#$host_bnd >> cap_bit[$c]) & 1)) || echo "note: this machine's own bounding set lacks $c, so this run goes without it"
done
# A private mount namespace holds /dev, /sys and the volume's mount, so nothing outlives it
# and the root never keeps a mount; /proc is the new PID namespace's own.
unshare --mount --propagation private -- bash -c '
    root=$1; shift
    mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
    mount -t sysfs sysfs "$root/sys"
    unshare --pid --fork --kill-child --mount-proc="$root/proc" -- chroot "$root" "$@"
    rc=$?
    umount -R "$root/sys" "$root/dev"
    exit $rc
' verify-runtime "$root" /usr/bin/setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all,+${caps//,/,+} -- \
    "${entrypoint[@]}" run --volume v1 --device "$image" \
    --nfs-address 127.0.0.1 --nfs-port 0 --http-address 127.0.0.1 --http-port "$http_port" \
    --grace-period 10 --lease-lifetime 10 >"$log" 2>&1 &
outer=$!
inner=""
for _ in $(seq 1 50); do
    inner=$(child_of "$outer"); [ -n "$inner" ] && tini=$(child_of "$inner"); [ -n "$tini" ] && break
    sleep 0.1
done
for _ in $(seq 1 50); do [ "$(cat "/proc/$tini/comm" 2>/dev/null)" = tini ] && break; sleep 0.1; done
[ "$(cat "/proc/$tini/comm" 2>/dev/null)" = tini ] || { cat "$log"; fail "tini did not start"; }
echo "tini: host pid $tini, pid in its namespace $(awk '/^NSpid:/ {print $NF}' "/proc/$tini/status")"
sm=""
for _ in $(seq 1 50); do sm=$(child_of "$tini"); [ -n "$sm" ] && break; sleep 0.1; done
cap_eff=$(awk '/^CapEff:/ {print $2}' "/proc/$sm/status")
echo "share-manager: host pid $sm, CapEff $cap_eff = $(cap_names "$cap_eff"), NoNewPrivs $(awk '/^NoNewPrivs:/ {print $2}' "/proc/$sm/status")"
want_mask=0
for c in ${caps//,/ }; do want_mask=$((want_mask | (1 << cap_bit[$c]))); done
[ "$((16#$cap_eff))" -eq "$((want_mask & 16#$host_bnd))" ] || fail "share-manager runs with other capabilities than the list"
# Bit 0 of SigIgn is SIGHUP: what tini forwards, share-manager drops.
sig_ign=$(awk '/^SigIgn:/ {print $2}' "/proc/$sm/status")
(((16#$sig_ign) & 1)) || fail "share-manager does not ignore SIGHUP"

ready=""
for _ in $(seq 1 120); do
    [ "$(http_get /readyz)" = 200 ] && { ready=1; break; }
    kill -0 "$outer" 2>/dev/null || break
    sleep 0.5
done
[ -n "$ready" ] || { tail -n 40 "$log"; fail "/readyz never answered 200"; }
echo "/readyz: 200   /healthz: $(http_get /healthz)"
endpoint=$root/run/share-manager/v1/endpoint.json
nfs_port=$(grep -o '"port":[0-9]*' "$endpoint" | cut -d: -f2)
echo "NFS endpoint: $(cat "$endpoint")"

client=(/usr/bin/python3 Tests/IntegrationTests/Tools/nfs41_client.py)
wrote=$("${client[@]}" write-once --server 127.0.0.1 --port "$nfs_port" --export v1 --file verify.bin \
    --owner verify-runtime --bytes 65536 --grace-wait 60 | grep '"written"') || { tail -n 20 "$log"; fail "NFS write"; }
read_back=$("${client[@]}" read-once --server 127.0.0.1 --port "$nfs_port" --export v1 --file verify.bin \
    --owner verify-runtime --bytes 65536 | grep '"read"') || fail "NFS read"
sum_w=$(grep -o '"sha256": *"[0-9a-f]*"' <<<"$wrote" | grep -o '[0-9a-f]\{64\}')
sum_r=$(grep -o '"sha256": *"[0-9a-f]*"' <<<"$read_back" | grep -o '[0-9a-f]\{64\}')
[ -n "$sum_w" ] && [ "$sum_w" = "$sum_r" ] || fail "NFS read-back differs: wrote $sum_w, read $sum_r"
echo "NFSv4.1 write + read of 64 KiB through Ganesha: sha256 ${sum_w:0:16}... matches"

ganesha_host=$(cat "/proc/$sm/task/"*/children | tr ' ' '\n' | while read -r p; do
    [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = ganesha.nfsd ] && echo "$p"; done | head -n 1)
pgid() { awk '{print $5}' "/proc/$1/stat"; }
[ -n "$ganesha_host" ] && [ "$(pgid "$ganesha_host")" != "$(pgid "$sm")" ] || fail "Ganesha is not in a process group of its own"
echo "process groups: share-manager $(pgid "$sm"), Ganesha $(pgid "$ganesha_host"): a signal to share-manager's group misses Ganesha"
ganesha_pid=$(cat "$root/run/share-manager/v1/ganesha.pid")
kill -HUP "$tini"
sleep 2
kill -0 "$tini" 2>/dev/null || { tail -n 20 "$log"; fail "SIGHUP to PID 1 ended the container"; }
[ "$(cat "$root/run/share-manager/v1/ganesha.pid")" = "$ganesha_pid" ] || fail "Ganesha restarted after SIGHUP"
if grep -qi "sighup" "$log"; then grep -i sighup "$log"; fail "Ganesha saw SIGHUP"; fi
echo "SIGHUP to PID 1: tini, share-manager and Ganesha (pid $ganesha_pid in the namespace) carry on; /readyz $(http_get /readyz); Ganesha logged no SIGHUP"

started=$(date +%s)
kill -TERM "$tini"
rc=0
wait "$outer" || rc=$?
outer=""
echo "SIGTERM to PID 1: exit status $rc after $(( $(date +%s) - started )) s"
grep -E "stopp|unmount|exit" "$log" | tail -n 4 || true
[ "$rc" -eq 0 ] || { tail -n 30 "$log"; fail "exit status $rc, not 0"; }
[ -z "$(losetup -j "$root$image" -n 2>/dev/null)" ] || fail "the loop device stayed attached"
echo "loop device detached; log: ${log#"$checkout"/}"
echo
echo "verify-runtime: OK"
