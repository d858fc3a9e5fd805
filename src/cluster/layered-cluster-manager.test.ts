import { describe, expect, it } from 'vitest';
import type { Node, NodeStatus } from '../types/node.js';
import type { ClusterEvent, ClusterEventListener, ClusterManager } from './cluster-manager.js';
import { LayeredClusterManager } from './layered-cluster-manager.js';

function node(id: string, status: NodeStatus): Node {
  const size = { cpuCores: 1, memoryMb: 1024, diskMb: 0 };
  return { id, name: id, status, capacity: size, allocatable: size, labels: {}, taints: [], unschedulable: false, lastHeartbeat: '', createdAt: '', resourceVersion: '1' };
}

/** A membership view the test drives by hand. */
class ScriptedMembership implements ClusterManager {
  readonly nodes = new Map<string, Node>();
  private readonly listeners = new Set<ClusterEventListener>();
  initialized = false;
  shutDown = false;
  async initialize() {
    this.initialized = true;
  }
  async getNode(id: string) {
    return this.nodes.get(id);
  }
  async listNodes() {
    return [...this.nodes.values()];
  }
  subscribeToEvents(l: ClusterEventListener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  async shutdown() {
    this.shutDown = true;
  }
  set(n: Node, type: 'NodeAdded' | 'NodeUpdated' = 'NodeUpdated') {
    this.nodes.set(n.id, n);
    for (const l of this.listeners) l({ type, node: n });
  }
  remove(id: string) {
    this.nodes.delete(id);
    for (const l of this.listeners) l({ type: 'NodeRemoved', nodeId: id });
  }
}

async function layered() {
  const gossip = new ScriptedMembership();
  const heartbeats = new ScriptedMembership();
  const m = new LayeredClusterManager(gossip, heartbeats);
  const seen: ClusterEvent[] = [];
  m.subscribeToEvents((e) => seen.push(e));
  await m.initialize();
  const said = () => seen.map((e) => (e.type === 'NodeRemoved' ? `removed ${e.nodeId}` : `${e.node.id}:${e.node.status}`));
  return { gossip, heartbeats, m, said };
}

describe('LayeredClusterManager', () => {
  it('lets gossip rule the health of its members and heartbeats rule everyone else', async () => {
    const { gossip, heartbeats, m, said } = await layered();
    expect(gossip.initialized && heartbeats.initialized).toBe(true);
    heartbeats.set(node('a', 'Ready'), 'NodeAdded');
    gossip.set(node('a', 'Down'), 'NodeAdded');
    heartbeats.set(node('a', 'Ready'));
    heartbeats.set(node('b', 'NotReady'), 'NodeAdded');
    expect(said()).toEqual(['a:Ready', 'a:Down', 'b:NotReady']);
    expect((await m.getNode('a'))?.status).toBe('Down');
    expect((await m.getNode('b'))?.status).toBe('NotReady');
    expect((await m.listNodes()).map((n) => `${n.id}:${n.status}`).sort()).toEqual(['a:Down', 'b:NotReady']);
  });

  it('hands a node back to heartbeats once gossip forgets it, and shuts both down', async () => {
    const { gossip, heartbeats, m, said } = await layered();
    gossip.set(node('a', 'Ready'), 'NodeAdded');
    heartbeats.set(node('a', 'Ready'), 'NodeAdded');
    gossip.remove('a');
    heartbeats.set(node('a', 'NotReady'));
    expect(said()).toEqual(['a:Ready', 'removed a', 'a:NotReady']);
    expect((await m.getNode('a'))?.status).toBe('NotReady');
    await m.shutdown();
    expect(gossip.shutDown && heartbeats.shutDown).toBe(true);
  });
});
