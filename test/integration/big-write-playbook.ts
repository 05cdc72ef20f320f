/** A playbook writing a large file, killed mid-transfer by the engine lab test. */
import { play, runPlaybook } from '../../src/index.js';
import { demoService } from './demo-role.js';

await runPlaybook([play({ name: 'big write', hosts: 'all', roles: [demoService] })]);
