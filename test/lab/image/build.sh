#!/usr/bin/env bash
# Builds the lab's test-host image: a Debian bookworm rootfs made with
# debootstrap, set up to boot systemd and sshd in a container, then
# imported into Docker as $IMAGE. Run by image.ts, which sets
# MIRROR, PACKAGES (comma-separated) and IMAGE and hashes this file
# into the image tag: any change here makes a new image.
set -euo pipefail
: "${MIRROR:?}" "${PACKAGES:?}" "${IMAGE:?}"
command -v debootstrap >/dev/null || { echo "debootstrap is not installed: apt-get install debootstrap" >&2; exit 1; }

rootfs=$(mktemp -d /tmp/labwright-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

debootstrap --variant=minbase --include="$PACKAGES" bookworm "$rootfs" "$MIRROR"

chroot "$rootfs" /bin/bash -euo pipefail -s "$MIRROR" <<'CHROOT'
mirror=$1

# Roles enable these; nothing runs at boot but the base system and sshd.
systemctl disable dnsmasq haproxy keepalived

# Every container gets its own host key (copied in before start).
rm -f /etc/ssh/ssh_host_*
cat > /etc/ssh/sshd_config.d/labwright.conf <<SSHD
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
SSHD

useradd --create-home --shell /bin/bash lab
usermod --password '*' lab  # no password, but not locked: key login works
echo 'lab ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/lab
chmod 0440 /etc/sudoers.d/lab
install -d -m 0700 /root/.ssh
install -d -m 0700 -o lab -g lab /home/lab/.ssh
# authorized_keys is copied in as root before start: hand it to lab at boot, before sshd.
echo 'Z /home/lab/.ssh - lab lab -' > /etc/tmpfiles.d/labwright.conf

rm -f /etc/apt/sources.list
cat > /etc/apt/sources.list.d/debian.sources <<APT
Types: deb
URIs: $mirror
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
APT

# Each container generates its own machine id; Docker provides these files.
: > /etc/machine-id
rm -f /etc/hostname /etc/resolv.conf
apt-get clean
rm -rf /var/lib/apt/lists/*
CHROOT

tar -C "$rootfs" -c . | docker import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=docker' \
  - "$IMAGE"
