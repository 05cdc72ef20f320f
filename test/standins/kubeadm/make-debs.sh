#!/bin/sh
# Builds and installs STAND-IN Debian packages kubeadm, kubelet and kubectl at
# version $1 (e.g. 1.32.2-1.1) with dpkg-deb, for labwright's lab tests: the
# real packages come from pkgs.k8s.io, which the lab cannot reach. They hold
# no Kubernetes binary: dpkg and apt see the packages installed at the pinned
# version (so the role's pin and hold act on real dpkg state), and kubelet's
# unit exists so that it can be enabled. The kubeadm stand-in itself is the
# separate script /usr/local/bin/kubeadm.
set -eu
version=${1:?version}
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
dpkg -i "$work/kubeadm.deb" "$work/kubelet.deb" "$work/kubectl.deb" >/dev/null
