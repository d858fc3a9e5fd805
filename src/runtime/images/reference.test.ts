import { describe, expect, it } from 'vitest';
import { isOrchestrationError } from '../../types/errors.js';
import { canonicalImageRef, parseImageRef } from './reference.js';

describe('image references', () => {
  it('reads names the way Docker does', () => {
    expect(canonicalImageRef('busybox')).toBe('docker.io/library/busybox:latest');
    expect(canonicalImageRef('team/app:1.2')).toBe('docker.io/team/app:1.2');
    expect(canonicalImageRef('127.0.0.1:5000/tools/busybox:1.0')).toBe('127.0.0.1:5000/tools/busybox:1.0');
    expect(canonicalImageRef('localhost/busybox')).toBe('localhost/busybox:latest');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageRef(`registry.local:5000/app@${digest}`)).toEqual({ registry: 'registry.local:5000', repository: 'app', tag: undefined, digest });
  });

  it('refuses what is not a reference before it reaches a registry or a path', () => {
    for (const bad of ['../etc/passwd', 'a//b', 'a b', '', 'x:y:z']) {
      expect(() => parseImageRef(bad)).toThrow();
      try {
        parseImageRef(bad);
      } catch (err) {
        expect(isOrchestrationError(err, 'InvalidInput')).toBe(true);
      }
    }
  });
});
