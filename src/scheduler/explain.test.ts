import { describe, expect, it } from 'vitest';
import { explainPlacement } from './explain.js';
import { clusterOf } from './testing/cluster.js';
import { makeInstance, makeWorkload, requestFor } from './testing/fixtures.js';

describe('explainPlacement', () => {
  it('says per node which filter rejected it and why, and scores the rest best first', () => {
    const s = clusterOf({
      full: { memoryMb: 1024 },
      busy: { memoryMb: 8192 },
      idle: { memoryMb: 8192 },
      tainted: { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] },
      off: { status: 'NotReady' },
    });
    const filler = makeWorkload('filler', { requests: { memoryMb: 6000, cpuMillicores: 2000 } });
    s.bind(makeInstance('f', filler, 'busy'));
    const w = makeWorkload('web', { requests: { memoryMb: 2048, cpuMillicores: 500 } });
    const e = explainPlacement(requestFor(w, 1), s);
    expect(e.chosen).toBe('idle');
    expect(e.summary).toBe('2/5 nodes feasible; the scheduler would choose idle');
    expect(e.nodes.map((n) => [n.nodeId, n.feasible, n.filter ?? null])).toEqual([
      ['idle', true, null],
      ['busy', true, null],
      ['full', false, 'resources-fit'],
      ['off', false, 'node-ready'],
      ['tainted', false, 'taint-toleration'],
    ]);
    expect(e.nodes[0].score).toBeGreaterThan(e.nodes[1].score!);
    expect(e.nodes[0].scores).toHaveProperty('resource-allocation');
    expect(e.nodes.find((n) => n.nodeId === 'tainted')!.reason).toBe('node(s) had untolerated taint gpu=true:NoSchedule');
  });

  it('summarizes like the NoPlacement reason when nothing fits', () => {
    const s = clusterOf({ a: { memoryMb: 512 }, b: { unschedulable: true } });
    const e = explainPlacement(requestFor(makeWorkload('big', { requests: { memoryMb: 1024 } }), 1), s);
    expect(e.chosen).toBeUndefined();
    expect(e.summary).toBe('0/2 nodes available: 1 insufficient memory, 1 cordoned');
  });
});
