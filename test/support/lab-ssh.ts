import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Lab, LabHost } from '../lab/index.js';

const run = promisify(execFile);

/** Whether an OpenSSH client on the controller can make a NEW connection to `host` (as `lab`, host key checked against the lab's known_hosts, 5 s to connect). */
export async function sshAnswers(lab: Lab, host: LabHost): Promise<boolean> {
  const args = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${lab.knownHostsPath}`, '-i', lab.keyPath, `lab@${host.ip}`, 'true'];
  return run('ssh', args, { timeout: 15_000 }).then(
    () => true,
    () => false,
  );
}
