/** The chaos test's playbook, run as its own process so that the test can SIGKILL it anywhere. */
import { play, runPlaybook } from '../../src/index.js';
import { chaosService } from './chaos-role.js';

await runPlaybook([play({ name: 'chaos', hosts: 'all', roles: [chaosService] })]);
