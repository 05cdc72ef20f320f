/**
 * The demo lab's playbook (`npm run lab`): what the local container lab
 * (gateway, control plane, worker) gets. Thin: composition only.
 */
import { play, runPlaybook } from '../src/index.js';
import { base } from '../roles/base/index.js';

await runPlaybook([
  play({ name: 'base', hosts: 'all', roles: [base] }),
  play({ name: 'gateways forward packets', hosts: 'gateways', roles: [base.with({ sysctls: { 'net.ipv4.ip_forward': 1 }, motd: false })] }),
]);
