import { z } from 'zod';
import { defineRole } from '../../src/engine/definitions.js';
import { directory, file, service } from '../../src/ops/index.js';

/**
 * The chaos test's service: a config file that notifies a restart. Every
 * start of the service appends the config it starts with to
 * /var/log/lw-chaos-starts, so the test counts the restarts of each config.
 * The test restarts it far more often than systemd's default start rate limit
 * (5 starts in 10 s, then "start of the service was attempted too often"), so
 * the unit turns that limit off.
 */
export const chaosService = defineRole({
  name: 'chaos',
  vars: z.object({ content: z.string() }),
  tasks: ({ task }) => [
    task('config directory', () => directory({ path: '/etc/lw-chaos', mode: '0755' })),
    task('config', ({ vars }) => file({ path: '/etc/lw-chaos/app.conf', content: `value=${vars.content}\n`, mode: '0644' }), { notify: ['restart chaos'] }),
    task(
      'unit',
      () =>
        file({
          path: '/etc/systemd/system/lw-chaos.service',
          content: "[Unit]\nStartLimitIntervalSec=0\n\n[Service]\nExecStartPre=/bin/sh -c 'echo \"start $(cat /etc/lw-chaos/app.conf)\" >> /var/log/lw-chaos-starts'\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n",
        }),
      { notify: ['restart chaos'] },
    ),
    task('service', () => service({ name: 'lw-chaos', state: 'started', enabled: true })),
  ],
  handlers: ({ handler }) => [handler('restart chaos', () => service({ name: 'lw-chaos', state: 'restarted' }))],
});
