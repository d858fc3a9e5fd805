import { afterEach, describe, expect, it } from 'vitest';
import { encodePacket } from './messages.js';
import { SimulatedCluster } from './simulated-cluster.js';

/**
 * The SWIM state machine on the in-memory network with a ManualClock and seeded randomness: every
 * run replays the same cluster history. Times are simulated milliseconds.
 */
describe('SWIM membership (in-memory, simulated time)', () => {
  let cluster: SimulatedCluster;
  afterEach(async () => cluster?.shutdown());

  it('members that join through one seed all come to see each other alive', async () => {
    cluster = new SimulatedCluster({ seed: 1 });
    await cluster.addMany(8);
    const took = await cluster.runUntil(() => cluster.converged(), 10_000);
    expect(took).toBeDefined();
    for (const n of cluster.nodes.values()) expect(n.clusterSize()).toBe(8);
  });

  it('suspects a crashed member, then every member declares it dead', async () => {
    cluster = new SimulatedCluster({ seed: 2 });
    await cluster.addMany(10);
    await cluster.runUntil(() => cluster.converged(), 10_000);
    const killedAt = cluster.clock.now();
    await cluster.kill('m3');
    const survivors = cluster.others('m3');
    const took = await cluster.runUntil(() => survivors.every((s) => cluster.stateOf(s, 'm3') === 'dead'), 30_000);
    expect(took).toBeDefined();

    const about = cluster.changes.filter((c) => c.member === 'm3' && c.at >= killedAt);
    const firstSuspect = about.find((c) => c.state === 'suspect');
    const firstDead = about.find((c) => c.state === 'dead');
    expect(firstSuspect).toBeDefined();
    expect(firstSuspect!.at).toBeLessThan(firstDead!.at);
    // nobody else was ever marked dead along the way
    expect(cluster.changes.filter((c) => c.state === 'dead' && c.member !== 'm3')).toEqual([]);
  });

  it('a falsely suspected member refutes with a higher incarnation and is never declared dead', async () => {
    cluster = new SimulatedCluster({ seed: 3 });
    await cluster.addMany(6);
    await cluster.runUntil(() => cluster.converged(), 10_000);
    const before = cluster.node('m1').member('m4')!.incarnation;
    // An accuser with a bad link tells m1 that m4 is suspect.
    const liar = cluster.network.attach('liar');
    liar.sendPacket('m1', encodePacket([{ t: 'suspect', name: 'm4', inc: before, from: 'liar' }]));
    await cluster.run(5);
    expect(cluster.stateOf('m1', 'm4')).toBe('suspect');

    const took = await cluster.runUntil(() => cluster.others('m4').every((s) => cluster.stateOf(s, 'm4') === 'alive' && cluster.node(s).member('m4')!.incarnation > before), 10_000);
    expect(took).toBeDefined();
    expect(cluster.node('m4').member('m4')!.incarnation).toBeGreaterThan(before);
    await cluster.run(30_000);
    expect(cluster.changes.filter((c) => c.state === 'dead')).toEqual([]);
    await liar.close();
  });

  it('a crashed member restarted under the same name refutes its old death and is alive again everywhere', async () => {
    cluster = new SimulatedCluster({ seed: 10 });
    await cluster.addMany(5);
    await cluster.runUntil(() => cluster.converged(), 10_000);
    await cluster.kill('m2');
    await cluster.runUntil(() => cluster.others('m2').every((s) => cluster.stateOf(s, 'm2') === 'dead'), 30_000);
    const deadAt = cluster.node('m0').member('m2')!.incarnation;

    const restarted = await cluster.add('m2', ['m0']); // a new process: incarnation starts over at 1
    const took = await cluster.runUntil(() => cluster.converged(), 10_000);
    expect(took).toBeDefined();
    expect(restarted.member('m2')!.incarnation).toBeGreaterThan(deadAt);
  });

  it('ignores news about an incarnation older than the one it holds', async () => {
    cluster = new SimulatedCluster({ seed: 4 });
    await cluster.addMany(3);
    await cluster.runUntil(() => cluster.converged(), 10_000);
    cluster.node('m2').updateMeta('{"v":2}');
    await cluster.runUntil(() => cluster.node('m0').member('m2')!.meta === '{"v":2}', 5_000);
    const inc = cluster.node('m0').member('m2')!.incarnation;
    const stale = cluster.network.attach('stale');
    stale.sendPacket('m0', encodePacket([{ t: 'dead', name: 'm2', inc: inc - 1, from: 'stale' }, { t: 'alive', name: 'm2', inc: inc - 1, addr: 'm2', meta: '{"v":1}' }]));
    await cluster.run(50);
    expect(cluster.node('m0').member('m2')).toMatchObject({ state: 'alive', meta: '{"v":2}', incarnation: inc });
    await stale.close();
  });

  it('spreads an update to all 64 members within O(log n) gossip rounds', async () => {
    cluster = new SimulatedCluster({ seed: 5, config: { pushPullIntervalMs: 3_600_000 } });
    await cluster.addMany(64);
    await cluster.runUntil(() => cluster.converged(), 30_000);
    await cluster.run(10_000); // let the join news finish its retransmissions
    cluster.node('m17').updateMeta('{"zone":"b"}');
    const took = await cluster.runUntil(() => [...cluster.nodes.values()].every((n) => n.member('m17')!.meta === '{"zone":"b"}'), 10_000, 5);
    expect(took).toBeDefined();
    const rounds = Math.ceil(took! / cluster.config.gossipIntervalMs);
    // Fan-out 3 reaches n members in about log3(n) rounds; allow twice log2(n) for unlucky choices.
    expect(rounds).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(64)));
  });

  it('a member that leaves gracefully is marked left everywhere, before any suspicion could expire', async () => {
    cluster = new SimulatedCluster({ seed: 6 });
    await cluster.addMany(8);
    await cluster.runUntil(() => cluster.converged(), 10_000);
    const leaving = cluster.node('m5');
    let left = false;
    void leaving.leave().then(() => (left = true));
    await cluster.runUntil(() => left, 5_000);
    await cluster.kill('m5');
    const took = await cluster.runUntil(() => cluster.others('m5').every((s) => cluster.stateOf(s, 'm5') === 'left'), 10_000);
    expect(took).toBeDefined();
    expect(took!).toBeLessThan(4_000);
    expect(cluster.changes.filter((c) => c.member === 'm5' && c.state === 'dead')).toEqual([]);
  });

  it('after a partition heals, both halves see everyone alive again', async () => {
    cluster = new SimulatedCluster({ seed: 7 });
    await cluster.addMany(6);
    await cluster.runUntil(() => cluster.converged(), 10_000);
    cluster.network.partition(['m0', 'm1', 'm2'], ['m3', 'm4', 'm5']);
    const split = await cluster.runUntil(() => cluster.stateOf('m0', 'm4') === 'dead' && cluster.stateOf('m4', 'm0') === 'dead', 60_000);
    expect(split).toBeDefined();
    cluster.network.heal();
    const healed = await cluster.runUntil(() => cluster.converged(), 120_000);
    expect(healed).toBeDefined();
  });

  it('a member that cannot hear anyone slows its own probing (Lifeguard awareness)', async () => {
    cluster = new SimulatedCluster({ seed: 8 });
    await cluster.addMany(6);
    await cluster.runUntil(() => cluster.converged(), 10_000);
    cluster.network.partition(['m2']);
    const before = { sick: cluster.node('m2').stats().packetsSent, well: cluster.node('m4').stats().packetsSent };
    await cluster.run(20_000);
    expect(cluster.node('m2').healthScore()).toBeGreaterThan(0);
    const sick = cluster.node('m2').stats().packetsSent - before.sick;
    const well = cluster.node('m4').stats().packetsSent - before.well;
    expect(sick).toBeLessThan(well);
  });

  it('with 10% of packets lost, marks no one dead over a quiet minute yet still detects a crash', async () => {
    cluster = new SimulatedCluster({ seed: 9 });
    await cluster.addMany(10);
    await cluster.runUntil(() => cluster.converged(), 10_000);
    cluster.network.setLossRate(0.1);
    await cluster.run(60_000);
    expect(cluster.changes.filter((c) => c.state === 'dead')).toEqual([]);

    await cluster.kill('m6');
    const took = await cluster.runUntil(() => cluster.others('m6').every((s) => cluster.stateOf(s, 'm6') === 'dead'), 30_000);
    expect(took).toBeDefined();
    expect(cluster.changes.filter((c) => c.state === 'dead' && c.member !== 'm6')).toEqual([]);
  });
});
