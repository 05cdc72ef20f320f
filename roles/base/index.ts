import { defineRole } from '../../src/engine/definitions.js';
import { apt, sysctls, template } from '../../src/ops/index.js';
import { baseVars } from './vars.js';

/** The host basics every design shares: packages, sysctls, a motd. */
export const base = defineRole({
  name: 'base',
  vars: baseVars,
  tasks: ({ task }) => [
    task('packages', ({ vars }) => apt({ packages: vars.packages }), { when: ({ vars }) => vars.packages.length > 0, tags: ['base:packages'] }),
    task('sysctls', ({ vars }) => sysctls({ values: vars.sysctls }), {
      when: ({ vars }) => Object.keys(vars.sysctls).length > 0,
      tags: ['base:sysctl'],
    }),
    task(
      'motd',
      ({ host }) =>
        template({
          path: '/etc/motd',
          src: new URL('./templates/motd.hbs', import.meta.url),
          data: { name: host.name, groups: host.groups.filter((g) => g !== 'all') },
          mode: '0644',
          owner: 'root',
          group: 'root',
        }),
      { when: ({ vars }) => vars.motd },
    ),
  ],
});

