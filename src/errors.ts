/**
 * Errors meant for a human. The CLI prints `message` (never a stack trace) and
 * exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A bad inventory, vars file or playbook definition (ansible-playbook exit 4). */
export class ParseError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, 4, hint);
    this.name = 'ParseError';
  }
}

/** Bad command-line options (ansible-playbook exit 5). */
export class OptionsError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, 5, hint);
    this.name = 'OptionsError';
  }
}

/** A host could not be reached or its connection dropped. */
export class UnreachableError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(`${host}: unreachable: ${message}`);
    this.name = 'UnreachableError';
  }
}

/** A command that changes a host exited non-zero. */
export class CommandFailed extends Error {
  constructor(
    readonly host: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`command failed (exit ${exitCode ?? 'killed'}): ${command}${stderr.trim() ? `\nstderr: ${stderr.trim()}` : ''}`);
    this.name = 'CommandFailed';
  }
}
