import { createHash, type Hash } from 'node:crypto';
import { OrchestrationError } from '../../types/errors.js';

/** Only sha256 digests are accepted: what every registry serves, and a fixed-size safe file name. */
const SHA256 = /^sha256:([a-f0-9]{64})$/;

export function digestHex(digest: string): string {
  const m = SHA256.exec(digest);
  if (!m) throw new OrchestrationError('InvalidInput', `unsupported or malformed digest "${digest.slice(0, 100)}"`);
  return m[1];
}

export function isDigest(s: string): boolean {
  return SHA256.test(s);
}

export function sha256Of(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function newHash(): Hash {
  return createHash('sha256');
}
