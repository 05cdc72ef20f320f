import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptMirror, mirrorFromDeb822, mirrorFromSourcesList } from './mirror.js';

const DEB822 = `Types: deb
# a comment
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Types: deb
URIs: http://off.example/debian
Suites: bookworm
Enabled: no

Types: deb
URIs: http://mirror.example/debian http://other.example/debian
Suites: bookworm bookworm-updates
Components: main
`;

describe('apt mirror', () => {
  it('takes the first enabled deb URI for bookworm from deb822 sources', () => {
    expect(mirrorFromDeb822(DEB822)).toBe('http://mirror.example/debian');
    expect(mirrorFromDeb822(DEB822, 'trixie')).toBeUndefined();
  });

  it('reads one-line sources.list entries, with or without options', () => {
    const list = '# deb http://old.example/debian bookworm main\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n';
    expect(mirrorFromSourcesList(list)).toBe('http://mirror.example/debian');
  });

  it('looks in sources.list.d, then sources.list, and says so when neither has bookworm', async () => {
    const root = await mkdtemp(join(tmpdir(), 'labwright-apt-'));
    await expect(aptMirror(root)).rejects.toThrow(/No apt source for Debian bookworm/);
    await writeFile(join(root, 'sources.list'), 'deb http://list.example/debian bookworm main\n');
    expect(await aptMirror(root)).toBe('http://list.example/debian');
    await mkdir(join(root, 'sources.list.d'));
    await writeFile(join(root, 'sources.list.d', 'debian.sources'), DEB822);
    expect(await aptMirror(root)).toBe('http://mirror.example/debian');
  });
});
