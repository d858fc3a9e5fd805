import type { ApiClient } from '../../api/client.js';
import type { ClusterEventRecord } from '../../types/event.js';
import { age, table } from '../output.js';

export function eventsTable(events: ClusterEventRecord[]): string {
  if (events.length === 0) return '<none>\n';
  return table(
    ['AGE', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    events.map((e) => [`${age(e.time)}${e.count > 1 ? ` (x${e.count})` : ''}`, e.type, e.reason, `${e.object.kind.toLowerCase()}/${e.object.name}`, e.message]),
  );
}

/** Follows a watch and prints one line per change, like `kubectl get -w`, until Ctrl-C. */
export function watchTable<T>(c: ApiClient, path: string, revision: number, query: Record<string, string | undefined>, line: (type: 'PUT' | 'DELETE', obj: T) => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = (from: number) => {
      const w = c.watch<T>(path, from, query, {
        onEvent: (type, obj, rev) => {
          revision = rev;
          process.stdout.write(line(type, obj));
        },
        onBookmark: (rev) => (revision = rev),
        onEnd: (err) => {
          if (err?.code === 'ClusterError') return reject(err);
          setTimeout(() => start(revision), 1000);
        },
      });
      process.once('SIGINT', () => {
        w.close();
        resolve();
      });
    };
    start(revision);
  });
}
