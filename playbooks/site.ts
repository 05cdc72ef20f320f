/**
 * The whole site, composed by group. Each role is tagged with its name, so
 * `--tags dnsmasq` or `--tags haproxy,keepalived` runs part of it.
 *
 *   all            base, networking, static-routes
 *   gateways, control_plane, workers   firewall (profiles from those groups)
 *   dhcp_servers   dnsmasq
 *   load_balancers haproxy
 *   vrrp           keepalived
 *   control_plane, workers   kubeadm-init
 *   control_plane  calico or cilium (by cluster.cni), metallb (they act once, on the first control plane)
 *   control_plane  manifests, helm (the user's releases, once, from the first control plane)
 */
import { isMain, play, runPlaybook } from '../src/index.js';
import { base } from '../roles/base/index.js';
import { calico } from '../roles/calico/index.js';
import { cilium } from '../roles/cilium/index.js';
import { dnsmasq } from '../roles/dnsmasq/index.js';
import { firewall } from '../roles/firewall/index.js';
import { haproxy } from '../roles/haproxy/index.js';
import { helm } from '../roles/helm/index.js';
import { keepalived } from '../roles/keepalived/index.js';
import { kubeadmInit } from '../roles/kubeadm-init/index.js';
import { manifests } from '../roles/manifests/index.js';
import { metallb } from '../roles/metallb/index.js';
import { networking } from '../roles/networking/index.js';
import { staticRoutes } from '../roles/static-routes/index.js';

export const site = [
  play({ name: 'host network', hosts: 'all', roles: [base, networking, staticRoutes] }),
  play({ name: 'firewall', hosts: 'gateways:control_plane:workers', roles: [firewall] }),
  play({ name: 'DHCP and DNS', hosts: 'dhcp_servers', roles: [dnsmasq] }),
  play({ name: 'Kubernetes API load balancer', hosts: 'load_balancers', roles: [haproxy] }),
  play({ name: 'virtual IP', hosts: 'vrrp', roles: [keepalived] }),
  play({ name: 'Kubernetes nodes', hosts: 'control_plane:workers', roles: [kubeadmInit] }),
  play({ name: 'cluster networking', hosts: 'control_plane', roles: [calico, cilium, metallb] }),
  play({ name: 'cluster workloads', hosts: 'control_plane', roles: [manifests, helm] }),
];

if (isMain(import.meta.url)) await runPlaybook(site);
