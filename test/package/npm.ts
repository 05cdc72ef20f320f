/**
 * Helpers for the package test: npm and the installed package's commands run
 * as child processes in temporary folders, with the environment of a user's
 * shell (no npm_* variables inherited from the `npm`/`npx` that started vitest).
 */
import { execFile, spawnSync } from 'node:child_process';

export const NPM_MISSING = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status !== 0;

/** Install flags: from the local npm cache when it has the package (the registry otherwise), quietly. */
export const INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD' && key !== 'NODE_OPTIONS'));
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in `cwd`; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(command: string, args: readonly string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd, env: userEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Like run, but a non-zero exit rejects with the command and its output. */
export async function runOk(command: string, args: readonly string[], cwd: string): Promise<Ran> {
  const ran = await run(command, args, cwd);
  if (ran.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${ran.code}:\n${ran.stderr}${ran.stdout}`);
  return ran;
}
