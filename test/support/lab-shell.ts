import type { LabHost } from '../lab/index.js';

/** Runs `script` with `sh -c` in a lab container; whatever the exit code, returns it with the output (stdout and stderr). */
export function shResult(host: LabHost, script: string): Promise<{ output: string; exitCode: number }> {
  return host.exec(['sh', '-c', script]);
}

/** Runs `script` with `sh -c` in a lab container (setup and observation); returns its output, throws on a non-zero exit naming host, script, exit code and output. */
export async function shOn(host: LabHost, script: string): Promise<string> {
  const { output, exitCode } = await shResult(host, script);
  if (exitCode !== 0) throw new Error(`${host.name}: exit ${exitCode}: ${script}\n${output}`);
  return output;
}
