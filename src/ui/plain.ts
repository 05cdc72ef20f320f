import type { HostResult, Recap, Reporter, RunEvent } from '../engine/events.js';
import { redact } from '../secret.js';
import { banner } from './format.js';
import { formatGroup, groupResults } from './group.js';
import { formatRecap } from './recap.js';

/**
 * Line-per-event output for logs and CI (no TTY). A task's results are kept
 * until the task ends (the next task starts, the play ends or aborts, the run
 * finishes) and printed in the play's host order, grouped: hosts reporting
 * the same change show once, `changed: [w1, w2, w3] - update /etc/motd`;
 * any other result (failures above all) stays one per host.
 */
export class PlainReporter implements Reporter {
  /** The task whose banner was printed last ("handler|label"). */
  #shown?: string;
  /** Results not printed yet, in arrival order (a free-strategy play may mix tasks). */
  #pending: HostResult[] = [];
  /** The current play's hosts, in the order results are shown. */
  #hosts: readonly string[] = [];

  constructor(
    private readonly opts: { diff: boolean; verbose: number },
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
  ) {}

  event(e: RunEvent): void {
    if (e.type === 'host:result') {
      this.#pending.push(e);
      return;
    }
    this.flush();
    if (e.type === 'task:start') this.#shown = taskKey(e);
    if (e.type === 'play:start') this.#hosts = e.hosts;
    this.write(redact(this.line(e)) + '\n');
  }

  private line(e: Exclude<RunEvent, HostResult>): string {
    switch (e.type) {
      case 'play:start':
        return banner(`PLAY [${redact(e.play)}]${e.check ? ' (check mode)' : ''}`) + (e.hosts.length === 0 ? '\nskipping: no hosts matched' : '');
      case 'task:start':
        return taskBanner(e);
      case 'play:abort':
        return `\nNO MORE HOSTS LEFT: ${redact(e.reason)}`;
      case 'play:end':
        return '';
    }
  }

  /** Prints the results kept so far, grouped per task; a task other than the one last announced gets its banner again. */
  private flush(): void {
    const byTask = new Map<string, HostResult[]>();
    for (const r of this.#pending) byTask.set(taskKey(r), [...(byTask.get(taskKey(r)) ?? []), r]);
    this.#pending = [];
    for (const [key, results] of byTask) {
      if (key !== this.#shown) this.write(redact(taskBanner(results[0])) + '\n');
      this.#shown = key;
      for (const group of groupResults(results, this.#hosts)) this.write(formatGroup(group, this.opts) + '\n');
    }
  }

  async finish(recap: Recap): Promise<void> {
    this.flush();
    this.write('\n' + formatRecap(recap));
  }
}

function taskKey(e: { task: string; handler: boolean }): string {
  return `${e.handler}|${e.task}`;
}

function taskBanner(e: { task: string; handler: boolean }): string {
  return banner(`${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${redact(e.task)}]`);
}
