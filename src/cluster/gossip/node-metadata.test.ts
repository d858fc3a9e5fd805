import { describe, expect, it } from 'vitest';
import type { Member } from './membership.js';
import { decodeNodeMetadata, encodeNodeMetadata, memberToNode } from './node-metadata.js';

const member = (state: Member['state']): Member => ({ name: 'node-1', address: '10.0.0.1:7946', meta: '{}', incarnation: 3, state, stateChangedAt: 1_000 });

describe('node metadata', () => {
  it('round-trips labels, capacity and API address', () => {
    const meta = { labels: { zone: 'a' }, capacity: { cpuCores: 2, memoryMb: 4096, diskMb: 1000 }, address: 'http://10.0.0.1:7070' };
    expect(decodeNodeMetadata(encodeNodeMetadata(meta, 512))).toEqual(meta);
  });

  it('refuses metadata above the cap with TooLarge', () => {
    expect(() => encodeNodeMetadata({ labels: { big: 'x'.repeat(60) } }, 40)).toThrow(expect.objectContaining({ code: 'TooLarge' }));
  });

  it('refuses malformed metadata with InvalidInput naming the field', () => {
    expect(() => encodeNodeMetadata({ labels: { 'bad key!': 'x' } }, 512)).toThrow(expect.objectContaining({ code: 'InvalidInput' }));
  });

  it('reads unreadable metadata from a peer as empty rather than failing', () => {
    expect(decodeNodeMetadata('not json')).toEqual({});
    expect(decodeNodeMetadata('{"capacity":{"cpuCores":"many"}}')).toEqual({});
  });
});

describe('memberToNode', () => {
  it('maps alive, suspect and dead to Ready, NotReady and Down', () => {
    expect(memberToNode(member('alive'), {}, 0, 0).status).toBe('Ready');
    expect(memberToNode(member('suspect'), {}, 0, 0).status).toBe('NotReady');
    expect(memberToNode(member('dead'), {}, 0, 0)).toMatchObject({ status: 'Down', statusReason: expect.stringContaining('dead') });
  });

  it('fills the node from metadata and says when its status began', () => {
    const node = memberToNode(member('alive'), { name: 'web-1', labels: { zone: 'b' }, capacity: { cpuCores: 4, memoryMb: 8192, diskMb: 0 }, runtime: 'oci' }, 500, 2_000);
    expect(node).toMatchObject({
      id: 'node-1',
      name: 'web-1',
      labels: { zone: 'b' },
      capacity: { cpuCores: 4, memoryMb: 8192, diskMb: 0 },
      allocatable: { cpuCores: 4, memoryMb: 8192, diskMb: 0 },
      runtime: 'oci',
      unschedulable: false,
      statusSince: new Date(1_000).toISOString(),
      lastHeartbeat: new Date(2_000).toISOString(),
      createdAt: new Date(500).toISOString(),
      resourceVersion: '3',
    });
  });
});
