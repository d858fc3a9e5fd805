import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStateStore } from '../../src/store/etcd-store.js';
import { EtcdCluster, etcdSkip, makeTestCertificates, type TestCertificates } from '../support/etcd.js';
import { systemSkip } from '../support/system.js';

const skip = etcdSkip('etcd over TLS and with auth') || systemSkip('etcd over TLS and with auth', [{ bin: 'openssl' }, { bin: 'etcdctl' }]);

/** Opens a store and expects it to refuse with `code`, quickly rather than after a hang. */
async function refuses(url: string, code: string): Promise<void> {
  let err: unknown;
  try {
    const store = await EtcdStateStore.open(url);
    await store.close();
  } catch (e) {
    err = e;
  }
  expect(err).toMatchObject({ code });
}

describe.skipIf(skip)('EtcdStateStore against a secured etcd', () => {
  describe('TLS with client certificates', () => {
    let dir = '';
    let certs: TestCertificates;
    let cluster: EtcdCluster;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'orch-etcd-tls-'));
      certs = makeTestCertificates(dir);
      cluster = await EtcdCluster.start({ members: 1, tls: { ...certs, clientCertAuth: true } });
    });
    afterAll(async () => {
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('reads and writes with the CA and a client certificate from the URL', async () => {
      const store = await EtcdStateStore.open(`${cluster.url('/tls')}?ca=${certs.ca}&cert=${certs.clientCert}&key=${certs.clientKey}`);
      try {
        expect((await store.commit([{ op: 'put', key: '/k', value: 'over tls' }])).ok).toBe(true);
        expect((await store.get('/k'))?.value).toBe('over tls');
      } finally {
        await store.close();
      }
    });

    it('is refused without a client certificate, with Unavailable and no hang', async () => {
      await refuses(`${cluster.url('/tls')}?ca=${certs.ca}&timeout=2000`, 'Unavailable');
    });
  });

  describe('user and password auth', () => {
    let cluster: EtcdCluster;
    beforeAll(async () => {
      cluster = await EtcdCluster.start({ members: 1 });
      const ctl = (...args: string[]) => execFileSync('etcdctl', ['--endpoints', cluster.endpoints()[0], ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: 'pipe' });
      ctl('user', 'add', 'root:s3cret');
      ctl('auth', 'enable');
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('reads and writes as the user named in the URL', async () => {
      const store = await EtcdStateStore.open(cluster.url('/auth').replace('etcd://', 'etcd://root:s3cret@'));
      try {
        expect((await store.commit([{ op: 'put', key: '/k', value: 'authenticated' }])).ok).toBe(true);
        expect((await store.get('/k'))?.value).toBe('authenticated');
      } finally {
        await store.close();
      }
    });

    it('answers Unauthorized for a wrong password and for no credentials', async () => {
      await refuses(cluster.url('/auth').replace('etcd://', 'etcd://root:wrong@'), 'Unauthorized');
      await refuses(cluster.url('/auth'), 'Unauthorized');
    });
  });
});
