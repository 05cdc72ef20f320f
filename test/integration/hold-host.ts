/**
 * A playbook for the lock tests: one task that holds the host for a long time
 * (`sleep`), run as its own controller process so that a test can SIGKILL it.
 * Usage: tsx test/integration/hold-host.ts -i INVENTORY --limit HOST
 */
import { z } from 'zod';
import { command, defineRole, play, runPlaybook, sh } from '../../src/index.js';

const hold = defineRole({
  name: 'hold',
  vars: z.object({}),
  tasks: ({ task }) => [task('hold the host', () => command({ run: sh`touch /tmp/lw-holding && sleep 300` }))],
});

await runPlaybook([play({ name: 'hold', hosts: 'all', roles: [hold] })]);
