import { NodeHeap } from './node-heap.js';

/**
 * The per-node arrays of a placement run, kept by a scheduler between calls: allocating them
 * anew for every call on a 5,000-node cluster costs more in garbage collection than clearing them.
 */
export class RunBuffers {
  private size = -1;
  staticVerdict = new Int8Array(0);
  removed = new Uint8Array(0);
  nodeVersion = new Int32Array(0);
  nodeCheckedAt = new Int32Array(0);
  nodeOk = new Int8Array(0);
  reasons: (string | undefined)[] = [];
  rejectedBy: string[] = [];
  fixedScore = new Float64Array(0);
  fixedAt = new Int32Array(0);
  total = new Float64Array(0);
  raw = new Float64Array(0);
  walkPos = new Int32Array(0);
  private heaps: NodeHeap[] = [];

  reset(n: number): this {
    if (n !== this.size) {
      this.size = n;
      this.staticVerdict = new Int8Array(n);
      this.removed = new Uint8Array(n);
      this.nodeVersion = new Int32Array(n);
      this.nodeCheckedAt = new Int32Array(n);
      this.nodeOk = new Int8Array(n);
      this.reasons = new Array(n);
      this.rejectedBy = new Array(n);
      this.fixedScore = new Float64Array(n);
      this.fixedAt = new Int32Array(n);
      this.total = new Float64Array(n + 1);
      this.raw = new Float64Array(n + 1);
      this.walkPos = new Int32Array(n);
    } else {
      this.staticVerdict.fill(0);
      this.removed.fill(0);
      this.nodeVersion.fill(0);
      this.reasons.fill(undefined);
    }
    this.nodeCheckedAt.fill(-1);
    this.fixedAt.fill(-1);
    return this;
  }

  /** `count` empty heaps. */
  heapsFor(count: number): NodeHeap[] {
    while (this.heaps.length < count) this.heaps.push(new NodeHeap());
    for (let g = 0; g < count; g++) this.heaps[g].clear();
    return this.heaps.slice(0, count);
  }
}
