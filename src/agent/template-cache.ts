import type { ApiClient } from '../api/client.js';
import type { InstanceTemplate } from '../types/workload.js';

/** Templates by (workload, revision). Revisions never change once written, so entries never go stale. */
export class TemplateCache {
  private readonly entries = new Map<string, Promise<InstanceTemplate>>();

  constructor(private readonly client: ApiClient) {}

  get(workloadId: string, revision: number): Promise<InstanceTemplate> {
    const key = `${workloadId}/${revision}`;
    let p = this.entries.get(key);
    if (!p) {
      p = this.client.getRevision(workloadId, revision).then((r) => r.template);
      p.catch(() => this.entries.delete(key));
      this.entries.set(key, p);
    }
    return p;
  }

  forget(workloadId: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${workloadId}/`)) this.entries.delete(key);
  }
}
