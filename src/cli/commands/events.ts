import type { ApiClient } from '../../api/client.js';
import type { ClusterEventRecord } from '../../types/event.js';
import { age, parseFormat, printStructured, table } from '../output.js';
import { eventsTable, watchTable } from './shared.js';

export async function events(c: ApiClient, opts: { workload?: string; for?: string; watch?: boolean; limit?: string; output?: string }): Promise<void> {
  const { items, revision } = await c.listEvents({ workload: opts.workload, object: opts.for, limit: Number(opts.limit ?? 100) });
  const format = parseFormat(opts.output);
  if (format === 'json' || format === 'yaml') await printStructured(format, { items });
  else process.stdout.write(items.length ? eventsTable(items) : 'No events.\n');
  if (opts.watch) {
    await watchTable<ClusterEventRecord>(c, '/api/v1/events', revision, { workload: opts.workload, object: opts.for }, (_t, e) =>
      format === 'json' ? JSON.stringify(e) + '\n' : table(['AGE', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], [[age(e.time), e.type, e.reason, `${e.object.kind.toLowerCase()}/${e.object.name}`, e.message]]).split('\n')[1] + '\n',
    );
  }
}
