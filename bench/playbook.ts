/** The benchmark workload as a playbook, to time the CLI including start-up. */
import { play, runPlaybook } from '../src/index.js';
import { workload } from './workload.js';

await runPlaybook([play({ name: 'bench', hosts: 'all', roles: [workload] })]);
