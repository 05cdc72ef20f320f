import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ImageName } from 'testcontainers';
import { docker } from './docker.js';
import { aptMirror } from './mirror.js';
import { LAB_ROOT } from './paths.js';

const BUILD_SCRIPT = fileURLToPath(new URL('./image/build.sh', import.meta.url));
const PACKAGES = fileURLToPath(new URL('./image/packages.txt', import.meta.url));
const REPOSITORY = 'labwright/testhost';
const BUILD_LOG = `${LAB_ROOT}image-build.log`;

/** The image name for this build script, package list and mirror: any change gives a new tag. */
async function imageName(mirror: string): Promise<{ image: string; packages: string[] }> {
  const script = await readFile(BUILD_SCRIPT, 'utf8');
  const packages = (await readFile(PACKAGES, 'utf8')).split(/\s+/).filter(Boolean);
  const hash = createHash('sha256').update(JSON.stringify({ script, packages, mirror })).digest('hex');
  return { image: `${REPOSITORY}:${hash.slice(0, 16)}`, packages };
}

/** Returns the test-host image, building it with debootstrap (about a minute) unless Docker has it. */
export async function ensureImage(): Promise<string> {
  const mirror = await aptMirror();
  const { image, packages } = await imageName(mirror);
  if (await (await docker()).image.exists(ImageName.fromString(image))) return image;

  if (process.getuid?.() !== 0) throw new Error(`Building ${image} needs root (debootstrap, chroot): run as root or run .ci/run`);
  console.error(`lab: building test-host image ${image} from ${mirror} (about a minute; log: ${BUILD_LOG})`);
  await mkdir(LAB_ROOT, { recursive: true });
  const log = openSync(BUILD_LOG, 'w');
  const build = spawn('bash', [BUILD_SCRIPT], {
    env: { ...process.env, MIRROR: mirror, PACKAGES: packages.join(','), IMAGE: image },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const code = await new Promise<number | null>((resolve, reject) => {
    build.on('error', reject);
    build.on('close', resolve);
  });
  if (code !== 0) {
    const tail = (await readFile(BUILD_LOG, 'utf8')).trimEnd().split('\n').slice(-15).join('\n');
    throw new Error(`Building ${image} failed (exit ${code}); end of ${BUILD_LOG}:\n${tail}`);
  }
  return image;
}
