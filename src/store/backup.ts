import { OrchestrationError } from '../types/errors.js';
import { inCommitSizedChunks } from './chunks.js';
import type { StateStore, WriteOp } from './state-store.js';

/** The first line of a backup file; every other line is one `{ key, value }`. */
export interface BackupHeader {
  backup: 'orchestrator';
  format: 1;
  revision: number;
  createdAt: string;
  store: string;
  keys: number;
}

export const BACKUP_PREFIX = '/registry/';

/**
 * Every key of the cluster as NDJSON lines, read in pages. Pages are read at successive revisions,
 * so a backup taken while the cluster changes is a consistent copy of each object but not of one
 * instant — as with Kubernetes' resource-level backups; an etcd snapshot is the tool for an exact one.
 */
export async function* backupLines(store: StateStore): AsyncGenerator<string> {
  const revision = await store.revision();
  const keys: Array<{ key: string; value: string }> = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list(BACKUP_PREFIX, { limit: 2000, after });
    for (const kv of page.items) keys.push({ key: kv.key, value: kv.value });
    if (!page.more || page.items.length === 0) break;
    after = page.items[page.items.length - 1].key;
  }
  const header: BackupHeader = { backup: 'orchestrator', format: 1, revision, createdAt: new Date().toISOString(), store: store.name, keys: keys.length };
  yield JSON.stringify(header) + '\n';
  for (const kv of keys) yield JSON.stringify(kv) + '\n';
}

/**
 * Writes a backup into a store that has none of its keys (every write is guarded "must not exist",
 * so a restore never overwrites a live cluster); `force` replaces what is there.
 */
export async function restoreBackup(store: StateStore, text: string, options: { force?: boolean } = {}): Promise<{ keys: number; header: BackupHeader }> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw OrchestrationError.invalidInput([{ path: 'line 1', message: 'the file is empty' }], 'backup');
  let header: BackupHeader;
  try {
    header = JSON.parse(lines[0]) as BackupHeader;
  } catch {
    throw OrchestrationError.invalidInput([{ path: 'line 1', message: 'is not a backup header' }], 'backup');
  }
  if (header.backup !== 'orchestrator' || header.format !== 1) throw OrchestrationError.invalidInput([{ path: 'line 1', message: 'is not an orchestrator backup (format 1)' }], 'backup');
  const entries = lines.slice(1).map((l, k) => {
    try {
      const e = JSON.parse(l) as { key: unknown; value: unknown };
      if (typeof e.key !== 'string' || typeof e.value !== 'string' || !e.key.startsWith(BACKUP_PREFIX)) throw new Error('bad entry');
      return e as { key: string; value: string };
    } catch {
      throw OrchestrationError.invalidInput([{ path: `line ${k + 2}`, message: 'must be {"key": "/registry/…", "value": "…"}' }], 'backup');
    }
  });
  if (entries.length !== header.keys) throw OrchestrationError.invalidInput([{ path: 'line 1', message: `says ${header.keys} keys, the file has ${entries.length}: truncated?` }], 'backup');
  if (!options.force) {
    const existing = await store.list(BACKUP_PREFIX, { limit: 1 });
    if (existing.items.length > 0) throw new OrchestrationError('Conflict', 'the target store already holds a cluster; restore into an empty one (or pass --force to overwrite)');
  }
  for (const part of inCommitSizedChunks({ maxOpsPerCommit: Math.min(500, store.maxOpsPerCommit ?? 500) }, entries)) {
    const ops: WriteOp[] = part.map((e) => ({ op: 'put', key: e.key, value: e.value, ...(options.force ? {} : { ifModRevision: 0 }) }));
    const res = await store.commit(ops);
    if (!res.ok) throw new OrchestrationError('Conflict', `key ${res.key} appeared in the target store during the restore`);
  }
  return { keys: entries.length, header };
}
