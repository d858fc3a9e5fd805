import { describe, expect, it } from 'vitest';
import { noExecuteEvictions } from './no-execute.js';

describe('noExecuteEvictions', () => {
  const taints = [
    { key: 'maint', effect: 'NoExecute' as const },
    { key: 'gpu', value: 'true', effect: 'NoSchedule' as const },
  ];

  it('evicts at once what does not tolerate a NoExecute taint, later what tolerates it for a while, never what tolerates it for good', () => {
    const out = noExecuteEvictions(taints, [
      { instanceId: 'plain' },
      { instanceId: 'forever', tolerations: [{ key: 'maint', operator: 'Exists' }] },
      { instanceId: 'minute', tolerations: [{ key: 'maint', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }] },
      { instanceId: 'wrong-effect', tolerations: [{ key: 'maint', operator: 'Exists', effect: 'NoSchedule' }] },
    ]);
    expect(out).toEqual([
      { instanceId: 'plain', taint: 'maint:NoExecute', afterSeconds: 0 },
      { instanceId: 'minute', taint: 'maint:NoExecute', afterSeconds: 60 },
      { instanceId: 'wrong-effect', taint: 'maint:NoExecute', afterSeconds: 0 },
    ]);
  });

  it('ignores NoSchedule and PreferNoSchedule taints', () => {
    expect(noExecuteEvictions([{ key: 'gpu', effect: 'NoSchedule' }, { key: 'old', effect: 'PreferNoSchedule' }], [{ instanceId: 'x' }])).toEqual([]);
  });
});
