import type { ListrTaskWrapper } from 'listr2';
import type { HostResult, Recap, Reporter, RunEvent } from '../engine/events.js';
import { redact } from '../secret.js';
import { formatDetails } from './group.js';
import { formatRecap } from './recap.js';

/** What one play shows while it runs; the listr2 task renders it whenever it changes. */
class PlayView {
  task = '';
  readonly hosts = new Map<string, string>();
  /** Results worth showing and play notes, printed (grouped) when the play ends. */
  readonly details: (HostResult | string)[] = [];
  counts = { ok: 0, changed: 0, failed: 0, skipped: 0 };
  #wrapper?: ListrTaskWrapper<unknown, never, never>;
  #ended!: () => void;
  readonly ended = new Promise<void>((resolve) => (this.#ended = resolve));

  constructor(
    readonly title: string,
    readonly order: readonly string[],
  ) {}

  attach(wrapper: ListrTaskWrapper<unknown, never, never>) {
    this.#wrapper = wrapper;
    this.render();
  }

  /** The title with the counts so far, the current task and each host's last status. */
  render() {
    if (!this.#wrapper) return;
    const { ok, changed, failed, skipped } = this.counts;
    this.#wrapper.title = `${this.title}: ok=${ok} changed=${changed} failed=${failed} skipped=${skipped}`;
    this.#wrapper.output = redact([this.task, ...this.hosts.values()].join('\n'));
  }

  end() {
    this.render();
    this.#ended();
  }
}

/**
 * Live progress on a terminal: a listr2 spinner per play showing the current
 * task and each host's last status. Plays render one after another; each
 * play's details (changes, diffs, failures) are printed when it ends, and the
 * recap after the last.
 */
export class LiveReporter implements Reporter {
  #view?: PlayView;
  #rendered: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: { diff: boolean; verbose: number },
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
  ) {}

  event(e: RunEvent): void {
    switch (e.type) {
      case 'play:start': {
        const view = new PlayView(`PLAY [${redact(e.play)}]${e.check ? ' (check mode)' : ''} on ${e.hosts.length} host(s)`, e.hosts);
        this.#view = view;
        this.#rendered = this.#rendered.then(() => this.show(view));
        break;
      }
      case 'task:start':
        if (!this.#view) break;
        this.#view.task = `${e.handler ? 'HANDLER' : 'TASK'} [${e.task}]`;
        this.#view.render();
        break;
      case 'host:result': {
        const view = this.#view;
        if (!view) break;
        view.hosts.set(e.host, `${e.host}: ${e.status}`);
        if (e.status === 'unreachable') view.counts.failed++;
        else view.counts[e.status]++;
        if ((e.status !== 'ok' && e.status !== 'skipped') || this.opts.verbose > 0) view.details.push(e);
        view.render();
        break;
      }
      case 'play:abort':
        this.#view?.details.push(`NO MORE HOSTS LEFT: ${e.reason}`);
        break;
      case 'play:end':
        this.#view?.end();
        this.#view = undefined;
        break;
    }
  }

  private async show(view: PlayView): Promise<void> {
    const { Listr } = await import('listr2'); // only a terminal shows live progress: plain and --json runs never load it
    await new Listr([{ title: view.title, task: async (_ctx, wrapper) => (view.attach(wrapper as never), view.ended) }], {
      renderer: 'default',
      rendererOptions: { collapseSubtasks: false },
      exitOnError: false,
    }).run();
    if (view.details.length > 0) this.write(redact(formatDetails(view.details, view.order, this.opts)) + '\n');
  }

  async finish(recap: Recap): Promise<void> {
    await this.#rendered;
    this.write('\n' + formatRecap(recap));
  }
}
