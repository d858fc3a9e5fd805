import { describe, expect, it } from 'vitest';
import { transportContract } from './transport.contract.js';
import { UdpTransport } from './udp-transport.js';

transportContract('udp', () => UdpTransport.create({ bindAddr: '127.0.0.1:0' }));

describe('UdpTransport', () => {
  it('binds UDP and TCP on one free port and advertises it', async () => {
    const t = await UdpTransport.create({ bindAddr: '127.0.0.1:0' });
    try {
      expect(t.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(Number(t.address.split(':')[1])).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('advertises the address it is told to', async () => {
    const t = await UdpTransport.create({ bindAddr: '127.0.0.1:0', advertiseAddr: '127.0.0.1' });
    try {
      expect(t.address).toMatch(/^127\.0\.0\.1:\d+$/);
    } finally {
      await t.close();
    }
  });

  it('refuses a stream message above its size cap', async () => {
    const [a, b] = [await UdpTransport.create({ bindAddr: '127.0.0.1:0' }), await UdpTransport.create({ bindAddr: '127.0.0.1:0', maxStreamBytes: 100 })];
    try {
      b.onExchange((req) => req);
      await expect(a.exchange(b.address, new Uint8Array(1000), 2000)).rejects.toThrow();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
