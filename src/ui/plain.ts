import type { Recap, Reporter, RunEvent } from '../engine/events.js';
import { redact } from '../secret.js';
import { banner, formatHostResult } from './format.js';
import { formatRecap } from './recap.js';

/** Line-per-event output for logs and CI (no TTY). */
export class PlainReporter implements Reporter {
  constructor(
    private readonly opts: { diff: boolean; verbose: number },
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
  ) {}

  event(e: RunEvent): void {
    this.write(redact(this.line(e)) + '\n');
  }

  private line(e: RunEvent): string {
    switch (e.type) {
      case 'play:start':
        return banner(`PLAY [${redact(e.play)}]${e.check ? ' (check mode)' : ''}`) + (e.hosts.length === 0 ? '\nskipping: no hosts matched' : '');
      case 'task:start':
        return banner(`${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${redact(e.task)}]`);
      case 'host:result':
        return formatHostResult(e, this.opts);
      case 'play:abort':
        return `\nNO MORE HOSTS LEFT: ${redact(e.reason)}`;
      case 'play:end':
        return '';
    }
  }

  async finish(recap: Recap): Promise<void> {
    this.write('\n' + formatRecap(recap));
  }
}
