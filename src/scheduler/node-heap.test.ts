import { describe, expect, it } from 'vitest';
import { NodeHeap } from './node-heap.js';

describe('NodeHeap', () => {
  it('yields the highest score first, and the earliest walk position among equal scores', () => {
    const h = new NodeHeap();
    const entries = [[50, 3, 30], [80, 5, 50], [50, 1, 10], [80, 2, 20], [10, 0, 0], [50, 4, 40]];
    for (const [score, pos, node] of entries) h.push(score, pos, node, 0);
    const order: number[] = [];
    while (h.size > 0) {
      order.push(h.topNode());
      h.pop();
    }
    expect(order).toEqual([20, 50, 10, 30, 40, 0]);
  });
});
