#!/usr/bin/env bash
# Builds the kernel-client test fixture (docs/kernel-client.md) into .build-kernel-client/:
#   vmlinux          the uncompressed kernel of the package linux-image-amd64 depends on
#                    (its PVH entry boots twice as fast under QEMU's emulation as the bzImage)
#   initramfs.cpio   busybox, our probe (Tests/IntegrationTests/Tools/kernel-guest/probe.c)
#                    and the modules virtio-net and the NFSv4 client need
# Debian packages are fetched with `apt-get download` and unpacked with `dpkg-deb`: nothing
# is installed. Idempotent: rebuilds only when the kernel package, busybox or our sources
# change. Needs gcc and the Debian tools; run by scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-kernel-client
guest=Tests/IntegrationTests/Tools/kernel-guest
wanted_modules=(virtio_pci virtio_net sunrpc grace lockd netfs fscache nfs nfsv4)

kernel_package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$kernel_package" ]; then
    apt-get update -qq
    kernel_package=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
kernel_version=$(apt-cache policy "$kernel_package" | awk '/Candidate:/ {print $2}')
busybox_version=$(apt-cache policy busybox-static | awk '/Candidate:/ {print $2}')
stamp="$kernel_package $kernel_version busybox-static $busybox_version $(cat "$guest/probe.c" "$guest/init" "$0" | sha256sum | cut -c1-16)"
if [ -f "$out/vmlinux" ] && [ -f "$out/initramfs.cpio" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi
echo "kernel-client fixture: building from $kernel_package $kernel_version"
# Our probe first: a compile error leaves the previous fixture in place.
probe=$(mktemp)
trap 'rm -f "$probe"' EXIT
gcc -static -O2 -Wall -Wextra -Werror -o "$probe" "$guest/probe.c" -lpthread
rm -rf "$out"
mkdir -p "$out/debs" "$out/unpacked" "$out/root"
# apt drops privileges to _apt for downloads; a folder it may write keeps that quiet.
chown _apt "$out/debs" 2>/dev/null || true
(cd "$out/debs" && apt-get download -q "$kernel_package" busybox-static >/dev/null)
dpkg-deb -x "$out"/debs/busybox-static_*.deb "$out/unpacked"
# Only the kernel and the module folders the wanted modules live in (and their depmod input):
# unpacking the whole 400 MB module tree, and depmod over it, took minutes on a busy machine.
dpkg-deb --fsys-tarfile "$out"/debs/"$kernel_package"_*.deb | tar -x -C "$out/unpacked" --wildcards \
    './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/drivers/net/*.ko' \
    './lib/modules/*/kernel/net/*' './lib/modules/*/kernel/fs/*' './lib/modules/*/modules.*'

# vmlinuz is a bzImage whose payload is XZ: find the first XZ stream that unpacks to an ELF.
vmlinuz=$(ls "$out"/unpacked/boot/vmlinuz-*)
for offset in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1); do
    tail -c +$((offset + 1)) "$vmlinuz" | xz -dcq --single-stream > "$out/vmlinux" 2>/dev/null || true
    [ "$(head -c 4 "$out/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] && break
done
[ "$(head -c 4 "$out/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] || { echo "no XZ-compressed ELF inside $vmlinuz" >&2; exit 1; }

# The package carries no modules.dep (depmod writes it at install): busybox's depmod makes one.
release=$(basename "$(ls -d "$out"/unpacked/lib/modules/*)")
modules="$out/unpacked/lib/modules/$release"
busybox depmod -b "$out/unpacked" "$release"
declare -A loaded=()
order=()
add_module() {  # depth first: what a module needs goes before it
    local line path
    line=$(grep -E "(^|/)$1\.ko(\.xz)?:" "$modules/modules.dep") || { echo "module $1 not in $release" >&2; exit 1; }
    path=${line%%:*}
    [ -z "${loaded[$path]:-}" ] || return 0
    for dep in ${line#*:}; do add_module "$(basename "${dep%%.ko*}")"; done
    loaded[$path]=1
    order+=("$path")
}
for m in "${wanted_modules[@]}"; do add_module "$m"; done
root="$out/root"
mkdir -p "$root/bin" "$root/mnt" "$root/lib/modules/$release"
for path in "${order[@]}"; do
    mkdir -p "$root/lib/modules/$release/$(dirname "$path")"
    cp "$modules/$path" "$root/lib/modules/$release/$path"
    echo "lib/modules/$release/$path"
done > "$root/modules.load"
cp "$out/unpacked/bin/busybox" "$root/bin/busybox"
install -m 0755 "$guest/init" "$root/init"
install -m 0755 "$probe" "$root/probe"
# Uncompressed: the emulated guest would spend longer unpacking than QEMU spends reading it.
(cd "$root" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) > "$out/initramfs.cpio"
echo "$release" > "$out/release"
rm -rf "$out/debs" "$out/unpacked" "$root"
echo "$stamp" > "$out/stamp"
echo "kernel-client fixture: $(du -sh "$out" | cut -f1) in $out (kernel $release)"
