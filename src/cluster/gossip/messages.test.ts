import { describe, expect, it } from 'vitest';
import { decodePacket, decodeStream, encodePacket, encodeStream, encodedSize, type Message } from './messages.js';

describe('gossip wire format', () => {
  it('round-trips a packet of a probe and piggybacked updates', () => {
    const msgs: Message[] = [
      { t: 'ping', seq: 7, target: 'b', from: 'a', fromAddr: '127.0.0.1:7946' },
      { t: 'alive', name: 'c', inc: 3, addr: '127.0.0.1:7947', meta: '{"labels":{"zone":"a"}}' },
      { t: 'suspect', name: 'd', inc: 1, from: 'a' },
    ];
    expect(decodePacket(encodePacket(msgs))).toEqual(msgs);
  });

  it('drops packets that are not well formed instead of throwing', () => {
    const enc = new TextEncoder();
    expect(decodePacket(enc.encode('not json'))).toBeUndefined();
    expect(decodePacket(enc.encode('[]'))).toBeUndefined();
    expect(decodePacket(enc.encode('[{"t":"ping","seq":-1}]'))).toBeUndefined();
    expect(decodePacket(enc.encode('[{"t":"launch"}]'))).toBeUndefined();
    expect(decodeStream(enc.encode('{"t":"pushpull","join":true}'))).toBeUndefined();
  });

  it('round-trips a push-pull exchange', () => {
    const m = { t: 'pushpull' as const, join: true, from: 'a', members: [{ name: 'a', addr: 'x:1', inc: 1, state: 'alive' as const, meta: '{}' }] };
    expect(decodeStream(encodeStream(m))).toEqual(m);
  });

  it('measures a message as the bytes it adds to a packet', () => {
    const m: Message = { t: 'ack', seq: 1 };
    expect(encodedSize(m)).toBe(JSON.stringify(m).length + 1);
  });
});
