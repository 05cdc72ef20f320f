import { Listr } from 'listr2';
import type { Recap, Reporter, RunEvent } from '../engine/events.js';
import { redact } from '../secret.js';
import { formatHostResult } from './format.js';
import { formatRecap } from './recap.js';

interface PlayProgress {
  title: string;
  setOutput(text: string): void;
  setTitle(text: string): void;
  done(): void;
  finished: Promise<void>;
}

/**
 * Live progress on a terminal: a listr2 spinner per play showing the current
 * task and each host's last status; details (changes, diffs, failures) are
 * printed under the play when it ends.
 */
export class LiveReporter implements Reporter {
  #play?: PlayProgress;
  #task = '';
  #hosts = new Map<string, string>();
  #details: string[] = [];
  #counts = { ok: 0, changed: 0, failed: 0 };

  constructor(private readonly opts: { diff: boolean; verbose: number }) {}

  event(e: RunEvent): void {
    switch (e.type) {
      case 'play:start':
        this.#play = startPlay(`PLAY [${e.play}]${e.check ? ' (check mode)' : ''} on ${e.hosts.length} host(s)`);
        this.#hosts.clear();
        this.#details = [];
        this.#counts = { ok: 0, changed: 0, failed: 0 };
        break;
      case 'task:start':
        this.#task = `${e.handler ? 'HANDLER' : 'TASK'} [${e.task}]`;
        this.render();
        break;
      case 'host:result': {
        this.#hosts.set(e.host, `${e.host}: ${e.status}`);
        if (e.status === 'ok' || e.status === 'skipped') this.#counts.ok++;
        else if (e.status === 'changed') this.#counts.changed++;
        else this.#counts.failed++;
        const interesting = e.status !== 'ok' && e.status !== 'skipped';
        if (interesting || this.opts.verbose > 0) this.#details.push(`[${e.task}] ${formatHostResult(e, this.opts)}`);
        this.render();
        break;
      }
      case 'play:abort':
        this.#details.push(`NO MORE HOSTS LEFT: ${e.reason}`);
        break;
      case 'play:end':
        this.endPlay();
        break;
    }
  }

  private render() {
    this.#play?.setOutput(redact([this.#task, ...this.#hosts.values()].join('\n')));
  }

  private endPlay() {
    const play = this.#play;
    if (!play) return;
    const { ok, changed, failed } = this.#counts;
    play.setTitle(`${play.title}: ok=${ok} changed=${changed} failed=${failed}`);
    play.done();
    const details = this.#details.join('\n');
    void play.finished.then(() => details && process.stdout.write(redact(details) + '\n'));
    this.#play = undefined;
  }

  async finish(recap: Recap): Promise<void> {
    await this.#play?.finished;
    await new Promise((r) => setImmediate(r));
    process.stdout.write('\n' + formatRecap(recap));
  }
}

function startPlay(title: string): PlayProgress {
  let setOutput: (t: string) => void = () => {};
  let setTitle: (t: string) => void = () => {};
  let done: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    done = resolve;
  });
  const list = new Listr(
    [
      {
        title,
        task: async (_ctx, t) => {
          setOutput = (s) => (t.output = s);
          setTitle = (s) => (t.title = s);
          await running;
        },
      },
    ],
    { renderer: 'default', rendererOptions: { collapseSubtasks: false }, exitOnError: false },
  );
  const finished = list.run().then(() => undefined);
  return { title, setOutput: (s) => setOutput(s), setTitle: (s) => setTitle(s), done, finished };
}
