import { describe, expect, it } from 'vitest';
import { isOrchestrationError } from '../types/errors.js';
import { parseEtcdUrl } from './etcd-url.js';

describe('parseEtcdUrl', () => {
  it('reads several members and a key prefix', () => {
    expect(parseEtcdUrl('etcd://h1:2379,h2:2379,10.0.0.3:2379/orchestrator/prod')).toEqual({
      endpoints: ['http://h1:2379', 'http://h2:2379', 'http://10.0.0.3:2379'],
      prefix: '/orchestrator/prod',
    });
  });

  it('reads user, password, TLS files and a request timeout', () => {
    expect(parseEtcdUrl('etcd://root:p%40ss@h1:2379?ca=/etc/ca.pem&cert=/etc/c.pem&key=/etc/k.pem&timeout=2000')).toEqual({
      endpoints: ['https://h1:2379'],
      auth: { username: 'root', password: 'p@ss' },
      tls: { caFile: '/etc/ca.pem', certFile: '/etc/c.pem', keyFile: '/etc/k.pem' },
      requestTimeoutMs: 2000,
    });
  });

  it('takes etcds:// as TLS with the system roots', () => {
    expect(parseEtcdUrl('etcds://h1:2379').endpoints).toEqual(['https://h1:2379']);
  });

  it.each(['http://h1:2379', 'etcd://', 'etcd://h1', 'etcd://h1:2379?cert=/c.pem', 'etcd://h1:2379?timeout=soon'])('rejects %s with InvalidInput', (url) => {
    let err: unknown;
    try {
      parseEtcdUrl(url);
    } catch (e) {
      err = e;
    }
    expect(isOrchestrationError(err, 'InvalidInput')).toBe(true);
  });
});
