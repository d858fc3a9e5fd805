import { afterEach, describe, expect, it } from 'vitest';
import type { Transport } from './transport.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * What every Transport must do, run against each implementation (udp, in-memory). `make` returns
 * a fresh transport on a free address, all reachable from each other.
 */
export function transportContract(name: string, make: () => Promise<Transport>): void {
  describe(`Transport contract: ${name}`, () => {
    const open: Transport[] = [];
    const fresh = async () => {
      const t = await make();
      open.push(t);
      return t;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((t) => t.close()));
    });

    it('delivers a packet with the address the sender can be answered at', async () => {
      const [a, b] = [await fresh(), await fresh()];
      const got = new Promise<[string, string]>((resolve) => b.onPacket((data, from) => resolve([dec.decode(data), from])));
      a.sendPacket(b.address, enc.encode('hello'));
      const [text, from] = await got;
      expect(text).toBe('hello');
      expect(from).toBe(a.address);
    });

    it('answers a stream request with the responder’s reply', async () => {
      const [a, b] = [await fresh(), await fresh()];
      b.onExchange((req) => enc.encode(`re: ${dec.decode(req)}`));
      const reply = await a.exchange(b.address, enc.encode('state'), 5000);
      expect(dec.decode(reply)).toBe('re: state');
    });

    it('carries a stream message larger than one packet', async () => {
      const [a, b] = [await fresh(), await fresh()];
      b.onExchange((req) => req);
      const big = enc.encode('x'.repeat(200_000));
      const reply = await a.exchange(b.address, big, 5000);
      expect(reply.byteLength).toBe(big.byteLength);
    });

    it('rejects a stream to a member that has gone', async () => {
      const [a, b] = [await fresh(), await fresh()];
      const gone = b.address;
      await b.close();
      await expect(a.exchange(gone, enc.encode('x'), 2000)).rejects.toThrow();
    });

    it('closes idempotently and stops delivering', async () => {
      const [a, b] = [await fresh(), await fresh()];
      let received = 0;
      b.onPacket(() => received++);
      await b.close();
      await b.close();
      a.sendPacket(b.address, enc.encode('late'));
      const c = await fresh();
      const delivered = new Promise<void>((resolve) => c.onPacket(() => resolve()));
      a.sendPacket(c.address, enc.encode('marker'));
      await delivered;
      expect(received).toBe(0);
    });
  });
}
