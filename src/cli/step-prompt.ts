import { createReadStream, openSync, closeSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { OptionsError } from '../errors.js';

export type StepAnswer = 'yes' | 'no' | 'continue';

/**
 * --step: before each task, asks on the controlling terminal (as
 * ansible-playbook --step) "Perform task: NAME (N)o/(y)es/(c)ontinue:";
 * Enter is no. No terminal (cron, CI, a pipe): an OptionsError, exit 5.
 */
export function stepPrompt(): (task: string) => Promise<StepAnswer> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    throw new OptionsError('--step: there is no terminal to ask on', 'run without --step, or from a terminal');
  }
  closeSync(fd);
  return async (task) => {
    const tty = openSync('/dev/tty', 'r+');
    const input = createReadStream('', { fd: tty, autoClose: false });
    const lines = createInterface({ input, terminal: false });
    try {
      for (;;) {
        writeSync(tty, `\nPerform task: ${task} (N)o/(y)es/(c)ontinue: `);
        const answer = parseStepAnswer(await lines.question(''));
        if (answer) return answer;
      }
    } finally {
      lines.close();
      input.destroy();
      closeSync(tty);
    }
  };
}

/** y/yes, n/no or empty, c/continue (any case); undefined for anything else (asked again). */
export function parseStepAnswer(line: string): StepAnswer | undefined {
  const word = line.trim().toLowerCase();
  if (word === '' || word === 'n' || word === 'no') return 'no';
  if (word === 'y' || word === 'yes') return 'yes';
  if (word === 'c' || word === 'continue') return 'continue';
  return undefined;
}
