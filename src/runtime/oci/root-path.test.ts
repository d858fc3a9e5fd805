import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerPath, resolveInRoot } from './root-path.js';

describe('resolving a path inside a container root', () => {
  const root = mkdtempSync(join(tmpdir(), 'orch-rootpath-'));
  mkdirSync(join(root, 'real/dir'), { recursive: true });
  symlinkSync('/real', join(root, 'abs'));
  symlinkSync('../../../../..', join(root, 'real/up'));
  symlinkSync('/etc', join(root, 'hostetc'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('follows absolute symlinks from the container\'s root, not the host\'s', async () => {
    expect(await resolveInRoot(root, '/abs/dir')).toBe(join(root, 'real/dir'));
    expect(await resolveInRoot(root, '/hostetc/passwd')).toBe(join(root, 'etc/passwd'));
  });

  it('stops ".." (written or through a symlink) at the root', async () => {
    expect(await containerPath(root, '/../../etc')).toBe('/etc');
    expect(await containerPath(root, '/real/up/etc')).toBe('/etc');
  });
});
