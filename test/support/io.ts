import type { Io } from '../../src/cli/main.js';

/** An Io that keeps what the CLI writes: stdout and stderr apart, and `text()` both as written, interleaved. */
export interface CapturedIo extends Io {
  stdout: string;
  stderr: string;
  text(): string;
}

/** A non-TTY Io collecting stdout and stderr (for `main(plays, argv, io)` in tests). */
export function captureIo(): CapturedIo {
  let text = '';
  const io: CapturedIo = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out: (s) => {
      io.stdout += s;
      text += s;
    },
    err: (s) => {
      io.stderr += s;
      text += s;
    },
    text: () => text,
  };
  return io;
}
