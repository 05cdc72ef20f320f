#!/bin/sh
# Builds and installs STAND-IN Debian packages kubeadm, kubelet and kubectl at
# version $1 (e.g. 1.32.2-1.1) with dpkg-deb, for labwright's lab tests: the
# real packages come from pkgs.k8s.io, which the lab cannot reach. They hold
# no Kubernetes binary: dpkg and apt see the packages installed at the pinned
# version (so the role's pin and hold act on real dpkg state), and kubelet's
# unit exists so that it can be enabled. The kubeadm stand-in itself is the
# separate script /usr/local/bin/kubeadm.
#
# make-debs.sh VERSION DIR builds them into DIR as a flat apt repository
# (DIR/Packages; the test signs DIR/Release into DIR/InRelease) instead of
# installing them: the packages an upgrade installs through apt.
set -eu
version=${1:?version}
repo=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for p in kubeadm kubelet kubectl; do
  mkdir -p "$work/$p/DEBIAN"
  cat > "$work/$p/DEBIAN/control" <<CONTROL
Package: $p
Version: $version
Architecture: all
Maintainer: labwright lab tests <tests@labwright.invalid>
Description: STAND-IN for $p (labwright lab test), not the real package
 An empty package, so that dpkg and apt see $p installed at the pinned
 version. It contains no $p binary.
CONTROL
done
mkdir -p "$work/kubelet/lib/systemd/system"
cat > "$work/kubelet/lib/systemd/system/kubelet.service" <<'UNIT'
[Unit]
Description=kubelet STAND-IN (labwright lab test): runs nothing
[Service]
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
UNIT
for p in kubeadm kubelet kubectl; do dpkg-deb --root-owner-group --build "$work/$p" "$work/$p.deb" >/dev/null; done
if [ -z "$repo" ]; then
  dpkg -i "$work/kubeadm.deb" "$work/kubelet.deb" "$work/kubectl.deb" >/dev/null
  exit 0
fi
mkdir -p "$repo"
for p in kubeadm kubelet kubectl; do
  cp "$work/$p.deb" "$repo/${p}_${version}_all.deb"
  deb="$repo/${p}_${version}_all.deb"
  dpkg-deb -f "$deb"
  printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n\n' "${p}_${version}_all.deb" "$(stat -c %s "$deb")" "$(sha256sum "$deb" | cut -d' ' -f1)"
done >> "$repo/Packages"
{
  printf 'Origin: labwright lab test\nLabel: kubernetes stand-in\nSuite: stable\nDate: %s\nSHA256:\n' "$(date -Ru)"
  printf ' %s %s Packages\n' "$(sha256sum "$repo/Packages" | cut -d' ' -f1)" "$(stat -c %s "$repo/Packages")"
} > "$repo/Release"
