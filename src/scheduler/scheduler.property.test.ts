import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SchedulerState } from './cluster-state.js';
import { DefaultScheduler } from './default-scheduler.js';
import { explainPlacement } from './explain.js';
import { nodeLabel } from './selectors.js';
import { isTolerated } from './taints.js';
import { makeInstance, makeNode, makeWorkload, requestFor } from './testing/fixtures.js';
import { clusterArb, run, RUNS, searchArb, TAINTS, TOLERATIONS, toNode, toWorkload, workloadArb, workloadsArb } from './testing/random-cluster.js';

/**
 * Random clusters and workloads, scheduled one workload after another as the core would (each
 * decision bound back into the state), then checked against what a user relies on.
 */

describe('scheduler properties', () => {
  it('never over-commits a node on any resource', () => {
    fc.assert(
      fc.property(clusterArb, workloadsArb, searchArb, (ns, ws, options) => {
        const { state } = run(ns, ws, options);
        for (const info of state.nodes()) {
          const a = info.node.allocatable;
          expect(info.requested.cpuMillicores).toBeLessThanOrEqual(a.cpuCores * 1000);
          expect(info.requested.memoryMb).toBeLessThanOrEqual(a.memoryMb);
          expect(info.requested.diskMb).toBeLessThanOrEqual(a.diskMb);
          expect(info.requested.extended.gpu ?? 0).toBeLessThanOrEqual(a.extended?.gpu ?? 0);
        }
      }),
      RUNS,
    );
  });

  it('never breaks a required anti-affinity rule, in either direction', () => {
    fc.assert(
      fc.property(clusterArb, workloadsArb, searchArb, (ns, ws, options) => {
        const { state, workloads } = run(ns, ws, options);
        const placed = [...state.instanceIndex().all()];
        for (const w of workloads) {
          for (const term of w.affinity?.instanceAntiAffinity?.required ?? []) {
            for (const mine of placed.filter((b) => b.instance.workloadId === w.workloadId)) {
              const domain = nodeLabel(mine.node.node, term.topologyKey);
              if (domain === undefined) continue;
              const clash = placed.filter(
                (b) =>
                  b.instance.instanceId !== mine.instance.instanceId &&
                  Object.entries(term.labelSelector.matchLabels ?? {}).every(([k, v]) => b.instance.labels[k] === v) &&
                  nodeLabel(b.node.node, term.topologyKey) === domain,
              );
              expect(clash.map((b) => b.instance.instanceId)).toEqual([]);
            }
          }
        }
      }),
      RUNS,
    );
  });

  it('keeps DoNotSchedule spread within maxSkew over the eligible zones', () => {
    fc.assert(
      fc.property(clusterArb, workloadsArb, searchArb, (ns, ws, options) => {
        const { state, nodes, workloads } = run(ns, ws, options);
        for (const w of workloads) {
          for (const c of w.topologySpread ?? []) {
            const eligible = new Set(nodes.filter((n) => !w.nodeSelector || n.labels.disk === w.nodeSelector.disk).map((n) => n.labels[c.topologyKey]).filter((z) => z !== undefined));
            const counts = new Map([...eligible].map((z) => [z, 0]));
            for (const b of state.instanceIndex().ofWorkload(w.workloadId)) {
              const z = b.node.node.labels[c.topologyKey];
              expect(z).toBeDefined();
              counts.set(z!, (counts.get(z!) ?? 0) + 1);
            }
            const values = [...counts.values()];
            if (values.length > 0) expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(c.maxSkew);
          }
        }
      }),
      RUNS,
    );
  });

  it('lets a tolerated taint never block and an untolerated NoSchedule/NoExecute taint always block', () => {
    fc.assert(
      fc.property(fc.array(fc.subarray(TAINTS), { minLength: 1, maxLength: 8 }), fc.subarray(TOLERATIONS), (taintSets, tolerations) => {
        const state = new SchedulerState();
        taintSets.forEach((taints, i) => state.upsertNode(makeNode(`n${i}`, { taints })));
        const w = makeWorkload('w', { tolerations, requests: { cpuMillicores: 100, memoryMb: 64 } });
        const e = explainPlacement(requestFor(w, 1), state);
        for (const n of e.nodes) {
          const taints = taintSets[Number(n.nodeId.slice(1))];
          const blocking = taints.some((t) => t.effect !== 'PreferNoSchedule' && !isTolerated(t, tolerations));
          expect(n.feasible).toBe(!blocking);
          if (blocking) expect(n.filter).toBe('taint-toleration');
        }
        // And what was placed sits only where every blocking taint is tolerated.
        const [d] = new DefaultScheduler().schedule(requestFor(w, 1), state);
        if (d.kind === 'AssignNode') for (const t of state.node(d.nodeId)!.node.taints) if (t.effect !== 'PreferNoSchedule') expect(isTolerated(t, tolerations)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same placement for the same input: fresh or reused scheduler, any node insertion order', () => {
    fc.assert(
      fc.property(clusterArb, workloadsArb, fc.integer(), (ns, ws, seed) => {
        const first = run(ns, ws).decisions;
        const shared = new DefaultScheduler();
        run(ns.slice().reverse(), ws, {}, shared);
        const order = ns.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13) || a - b);
        expect(run(ns, ws, {}, shared, order).decisions).toEqual(first);
      }),
      { numRuns: 100 },
    );
  });

  it('decides with the incremental search exactly as with the plain scan when every node is considered', () => {
    fc.assert(
      fc.property(clusterArb, workloadsArb, (ns, ws) => {
        const fast = run(ns, ws, { percentageOfNodesToScore: 100 }).decisions;
        const scan = run(ns, ws, { percentageOfNodesToScore: 100, search: 'scan' }).decisions;
        expect(fast).toEqual(scan);
      }),
      { numRuns: 100 },
    );
  });

  it('plans preemptions that make room: once the victims are gone, the instance lands on the planned node', () => {
    fc.assert(
      fc.property(clusterArb, workloadsArb, workloadArb, (ns, ws, hiGen) => {
        const { state } = run(ns, ws);
        const hi = toWorkload({ ...hiGen, priority: 10, replicas: 1 }, 99);
        const [d] = new DefaultScheduler().schedule(requestFor(hi, 1), state);
        if (d.kind !== 'NoPlacement' || !d.preemption) return;
        const { nodeId, victims } = d.preemption;
        expect(victims.length).toBeGreaterThan(0);
        for (const v of victims) {
          expect(state.node(nodeId)!.instances.get(v)!.priority).toBeLessThan(10);
          state.unbind(v);
        }
        const [after] = new DefaultScheduler().schedule(requestFor(hi, 1), state);
        expect(after).toMatchObject({ kind: 'AssignNode', nodeId });
      }),
      { numRuns: 150 },
    );
  });

  it('says NoPlacement only when no node is feasible, with a reason for every node, also when sampling', () => {
    fc.assert(
      fc.property(clusterArb, workloadsArb, workloadArb, searchArb, (ns, ws, nextGen, options) => {
        const { state } = run(ns, ws, options);
        const next = toWorkload({ ...nextGen, replicas: 1 }, 98);
        const [d] = new DefaultScheduler(options).schedule(requestFor(next, 1), state);
        const e = explainPlacement(requestFor(next, 1), state, options);
        const feasible = e.nodes.filter((n) => n.feasible).map((n) => n.nodeId);
        if (d.kind === 'AssignNode') expect(feasible).toContain(d.nodeId);
        else {
          expect(feasible).toEqual([]);
          expect(d.kind === 'NoPlacement' && d.rejections.length).toBe(state.nodeCount);
          expect(d.kind === 'NoPlacement' && d.reason).toBe(e.summary);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('places copies with required affinity only where matching instances are, a self-affine group in one domain', () => {
    fc.assert(
      fc.property(clusterArb, workloadsArb, searchArb, (ns, ws, options) => {
        const nodes = ns.map(toNode);
        const state = new SchedulerState();
        nodes.forEach((n) => state.upsertNode(n));
        const scheduler = new DefaultScheduler(options);
        ws.map(toWorkload).forEach((w) => {
          state.upsertWorkload(w);
          const term = w.affinity?.instanceAffinity?.required?.[0];
          const matches = (labels: Record<string, string>) => Object.entries(term?.labelSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
          const before = new Set([...state.instanceIndex().all()].filter((b) => matches(b.instance.labels)).map((b) => nodeLabel(b.node.node, term?.topologyKey ?? 'node')));
          const placed = scheduler.schedule(requestFor(w, w.replicas), state).flatMap((d, k) => {
            if (d.kind !== 'AssignNode') return [];
            state.bind(makeInstance(`${w.workloadId}-${k}`, w, d.nodeId));
            return [state.node(d.nodeId)!.node];
          });
          if (!term) return;
          const domains = new Set(placed.map((n) => nodeLabel(n, term.topologyKey)));
          expect(domains.has(undefined)).toBe(false);
          if (before.size > 0) for (const d of domains) expect(before.has(d)).toBe(true);
          else if (matches(w.labels)) expect(domains.size).toBeLessThanOrEqual(1);
          else expect(placed).toEqual([]);
        });
      }),
      RUNS,
    );
  });
});
