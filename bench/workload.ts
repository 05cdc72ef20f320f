import { z } from 'zod';
import { defineRole } from '../src/engine/definitions.js';
import { command, file, user } from '../src/ops/index.js';
import { sh } from '../src/shell/quote.js';

/** pyinfra's benchmark workload: add a user, touch a file, copy a file, run a shell command. */
export const COPIED = 'labwright benchmark payload\n'.repeat(40);

export const workload = defineRole({
  name: 'bench',
  vars: z.object({}),
  tasks: ({ task }) => [
    task('add a user', () => user({ name: 'benchuser' })),
    task('touch a file', () => file({ path: '/tmp/bench-touched', content: '' })),
    task('copy a file', () => file({ path: '/tmp/bench-copied', content: COPIED, mode: '0644' })),
    task('run a shell command', () => command({ run: sh`echo hello` })),
  ],
});

/** The same workload for ansible-playbook (tuned: no fact gathering; pipelining set by the caller). */
export function ansiblePlaybook(copySource: string): string {
  return `- hosts: all
  gather_facts: false
  tasks:
    - name: add a user
      ansible.builtin.user: { name: benchuser }
    - name: touch a file
      ansible.builtin.copy: { dest: /tmp/bench-touched, content: "" }
    - name: copy a file
      ansible.builtin.copy: { dest: /tmp/bench-copied, src: ${copySource}, mode: "0644" }
    - name: run a shell command
      ansible.builtin.shell: echo hello
`;
}
