import { describe, expect, it } from 'vitest';
import { defaultAdvertiseHost, formatAddress, parseAddress } from './address.js';

describe('gossip addresses', () => {
  it('parses host:port and [v6]:port', () => {
    expect(parseAddress('10.0.0.1:7946')).toEqual({ host: '10.0.0.1', port: 7946 });
    expect(parseAddress('[::1]:8000')).toEqual({ host: '::1', port: 8000 });
    expect(parseAddress('seed.example:1')).toEqual({ host: 'seed.example', port: 1 });
  });

  it('fills in the default port for a bare host', () => {
    expect(parseAddress('10.0.0.1', 7946)).toEqual({ host: '10.0.0.1', port: 7946 });
    expect(() => parseAddress('10.0.0.1')).toThrow(/host:port/);
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', 'a:b', 'host:70000', '::1:80']) expect(() => parseAddress(bad, 1)).toThrow(expect.objectContaining({ code: 'InvalidInput' }));
  });

  it('formats v6 hosts in brackets', () => {
    expect(formatAddress({ host: '::1', port: 80 })).toBe('[::1]:80');
    expect(formatAddress({ host: '127.0.0.1', port: 80 })).toBe('127.0.0.1:80');
  });

  it('advertises the bound host unless it is a wildcard', () => {
    expect(defaultAdvertiseHost('127.0.0.1')).toBe('127.0.0.1');
    expect(defaultAdvertiseHost('0.0.0.0')).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});
