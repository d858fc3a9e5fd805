/**
 * A max-heap of scored nodes for the incremental search: highest score first, then the node met
 * first in the walk (so ties break as in the full scan). Entries carry the node's version at
 * scoring time; the caller discards entries whose node has changed since (lazy deletion).
 */
export class NodeHeap {
  private score: number[] = [];
  private pos: number[] = [];
  private node: number[] = [];
  private version: number[] = [];

  get size(): number {
    return this.node.length;
  }

  clear(): void {
    this.score.length = this.pos.length = this.node.length = this.version.length = 0;
  }

  push(score: number, walkPos: number, node: number, version: number): void {
    this.score.push(score);
    this.pos.push(walkPos);
    this.node.push(node);
    this.version.push(version);
    this.up(this.node.length - 1);
  }

  topNode(): number {
    return this.node[0];
  }

  topScore(): number {
    return this.score[0];
  }

  topVersion(): number {
    return this.version[0];
  }

  pop(): void {
    const last = this.node.length - 1;
    this.swap(0, last);
    this.score.pop();
    this.pos.pop();
    this.node.pop();
    this.version.pop();
    if (this.node.length > 0) this.down(0);
  }

  private before(a: number, b: number): boolean {
    return this.score[a] > this.score[b] || (this.score[a] === this.score[b] && this.pos[a] < this.pos[b]);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.node.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < n && this.before(l, top)) top = l;
      if (r < n && this.before(r, top)) top = r;
      if (top === i) return;
      this.swap(i, top);
      i = top;
    }
  }

  private swap(a: number, b: number): void {
    const s = this.score[a];
    this.score[a] = this.score[b];
    this.score[b] = s;
    const p = this.pos[a];
    this.pos[a] = this.pos[b];
    this.pos[b] = p;
    const n = this.node[a];
    this.node[a] = this.node[b];
    this.node[b] = n;
    const v = this.version[a];
    this.version[a] = this.version[b];
    this.version[b] = v;
  }
}
