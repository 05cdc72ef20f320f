import { unitState } from '../facts/builtin.js';
import { sh, type Command } from '../shell/quote.js';
import { change, ok, type Op } from './op.js';

export interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
}

/** A systemd unit's run state and boot enablement. */
export function service(args: ServiceArgs): Op {
  const fact = unitState(args.name);
  return {
    label: `service ${args.name}`,
    facts: [fact],
    async plan(ctx) {
      const unit = await ctx.fact(fact);
      const steps: { summary: string; cmd: Command }[] = [];
      const running = unit.active === 'active' || unit.active === 'activating' || unit.active === 'reloading';
      if (unit.needsDaemonReload) steps.push({ summary: 'systemctl daemon-reload', cmd: sh`systemctl daemon-reload` });
      const isEnabled = unit.enabled === 'enabled' || unit.enabled === 'enabled-runtime' || unit.enabled === 'static';
      if (args.enabled === true && !isEnabled) steps.push({ summary: `enable ${args.name}`, cmd: sh`systemctl enable -- ${args.name}` });
      if (args.enabled === false && unit.enabled === 'enabled') steps.push({ summary: `disable ${args.name}`, cmd: sh`systemctl disable -- ${args.name}` });
      const note = unit.loaded ? '' : ' (unit not installed yet)';
      switch (args.state) {
        case 'started':
          if (!running) steps.push({ summary: `start ${args.name}${note}`, cmd: sh`systemctl start -- ${args.name}` });
          break;
        case 'stopped':
          if (running) steps.push({ summary: `stop ${args.name}`, cmd: sh`systemctl stop -- ${args.name}` });
          break;
        case 'restarted':
          steps.push({ summary: `restart ${args.name}${note}`, cmd: sh`systemctl restart -- ${args.name}` });
          break;
        case 'reloaded':
          steps.push(
            running
              ? { summary: `reload ${args.name}`, cmd: sh`systemctl reload -- ${args.name}` }
              : { summary: `start ${args.name} (not running, so no reload)${note}`, cmd: sh`systemctl start -- ${args.name}` },
          );
          break;
      }
      if (steps.length === 0) {
        return ok(`${args.name} is ${unit.active}${args.enabled === undefined ? '' : `, ${unit.enabled || 'not installed'}`}`);
      }
      return change(steps.map((s) => ({ summary: s.summary })), async (c) => {
        for (const s of steps) await c.run(s.cmd);
      });
    },
  };
}
