import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../api/client.js';
import type { InstanceStatusReport } from '../types/instance.js';
import { silentLogger } from '../types/logger.js';
import { StatusReporter } from './status-reporter.js';

function report(instanceId: string, status: InstanceStatusReport['status'], ready = false): InstanceStatusReport {
  return { instanceId, status, ready, containers: [] };
}

/** A control plane that records each batch, failing while `down`. */
function fakeClient() {
  const batches: InstanceStatusReport[][] = [];
  const state = { down: false };
  const client = {
    reportStatus: async (reports: InstanceStatusReport[]) => {
      if (state.down) throw new Error('connection refused');
      batches.push(reports);
      return { applied: reports.length, unknown: [] };
    },
  } as unknown as ApiClient;
  return { client, batches, state };
}

const summary = (batches: InstanceStatusReport[][]) => batches.map((b) => b.map((r) => `${r.instanceId}:${r.status}`));

describe('StatusReporter', () => {
  it('sends reports made together in one request, only the latest of each instance', async () => {
    const { client, batches } = fakeClient();
    const r = new StatusReporter(client, silentLogger, 60_000);
    r.report(report('a', 'Pending'));
    r.report(report('b', 'Pending'));
    r.report(report('a', 'Running'));
    await r.flush();
    expect(summary(batches)).toEqual([['a:Running', 'b:Pending']]);
  });

  it('skips a report identical to the last one sent, until resetSent', async () => {
    const { client, batches } = fakeClient();
    const r = new StatusReporter(client, silentLogger, 60_000);
    r.report(report('a', 'Running', true));
    await r.flush();
    r.report(report('a', 'Running', true));
    await r.flush();
    expect(batches).toHaveLength(1);
    r.resetSent();
    r.report(report('a', 'Running', true));
    await r.flush();
    expect(batches).toHaveLength(2);
    r.forget('a');
    r.report(report('a', 'Running', true));
    await r.flush();
    expect(batches).toHaveLength(3);
  });

  it('keeps a failed batch for the next send, where a newer report of an instance replaces the old', async () => {
    const { client, batches, state } = fakeClient();
    const r = new StatusReporter(client, silentLogger, 60_000);
    state.down = true;
    r.report(report('a', 'Running'));
    r.report(report('b', 'Running'));
    await r.flush();
    expect(batches).toEqual([]);
    r.report(report('a', 'Succeeded'));
    state.down = false;
    await r.flush();
    expect(summary(batches)).toEqual([['a:Succeeded', 'b:Running']]);
  });

  it('sends on its own after batchMs', async () => {
    const { client, batches } = fakeClient();
    let sent!: () => void;
    const delivered = new Promise<void>((resolve) => (sent = resolve));
    const watched = { reportStatus: async (rs: InstanceStatusReport[]) => { const out = await client.reportStatus(rs); sent(); return out; } } as unknown as ApiClient;
    const r = new StatusReporter(watched, silentLogger, 5);
    r.report(report('a', 'Running'));
    await delivered;
    expect(summary(batches)).toEqual([['a:Running']]);
  });
});
