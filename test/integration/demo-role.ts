import { z } from 'zod';
import { defineRole } from '../../src/engine/definitions.js';
import { command, directory, file, service } from '../../src/ops/index.js';
import { sh } from '../../src/shell/quote.js';

/**
 * A small service role for the engine's lab tests: a config file and a unit
 * file that both notify the restart handler; every start of the service
 * appends a line to /var/log/lw-demo-starts so tests can count restarts.
 */
export const demoService = defineRole({
  name: 'demo',
  vars: z.object({
    content: z.string().default('v1'),
    fail: z.boolean().default(false),
    big_file_mib: z.number().int().default(0),
  }),
  tasks: ({ task }) => [
    task('config directory', () => directory({ path: '/etc/lw-demo', mode: '0755' })),
    task('config', ({ vars }) => file({ path: '/etc/lw-demo/app.conf', content: `value=${vars.content}\n`, mode: '0644' }), { notify: ['restart demo'] }),
    task(
      'unit',
      () =>
        file({
          path: '/etc/systemd/system/lw-demo.service',
          content: "[Service]\nExecStartPre=/bin/sh -c 'echo start >> /var/log/lw-demo-starts'\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n",
        }),
      { notify: ['restart demo'] },
    ),
    task('service', () => service({ name: 'lw-demo', state: 'started', enabled: true })),
    task('big file', ({ vars }) => file({ path: '/srv/big.bin', content: 'x'.repeat(vars.big_file_mib * 2 ** 20) }), { when: ({ vars }) => vars.big_file_mib > 0 }),
    task('may fail', () => command({ run: sh`echo 'the disk is on fire' >&2; exit 7` }), { when: ({ vars }) => vars.fail }),
  ],
  handlers: ({ handler }) => [handler('restart demo', () => service({ name: 'lw-demo', state: 'restarted' }))],
});
