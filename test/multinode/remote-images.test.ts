import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { isOrchestrationError } from '../../src/types/errors.js';
import { buildBusyboxImage } from '../support/busybox-image.js';
import { removeDir, startAgent, startApi, tempDir, type AgentProcess, type ApiProcess } from '../support/cluster.js';
import { pushWithSkopeo, startRegistry, type RegistryHandle } from '../support/registry.js';
import { systemSkip } from '../support/system.js';

// The agent's image store comes with its OCI runtime, which needs root and runc to start.
const skip = systemSkip('image commands on a remote node', ['root', { bin: 'runc' }, { bin: 'conmon' }, { bin: 'setfattr' }, { bin: 'skopeo' }, { bin: 'docker-registry' }, { bin: 'busybox' }]);

/**
 * `image import|list|rm|pull --node N` for a node whose agent is its own process: the control plane
 * (no runtime of its own) relays each command to the agent's server, which alone may be asked with
 * the admin token.
 */
describe.skipIf(skip)('image commands on a node whose agent runs in another process', () => {
  const dir = tempDir();
  const node = 'remote-oci';
  let registry: RegistryHandle;
  let api: ApiProcess;
  let agent: AgentProcess;
  let archive: string;
  let pushed: string;
  const images = async () => {
    const res = await api.cli(['image', 'list', '--node', node, '-o', 'name']);
    expect(res.code, res.stderr).toBe(0);
    return res.stdout.split('\n').filter(Boolean);
  };

  beforeAll(async () => {
    registry = await startRegistry();
    const built = await buildBusyboxImage(join(dir, 'image'), 'remote');
    archive = built.archive;
    pushed = `${registry.host}/busybox:remote`;
    await pushWithSkopeo(built.layoutDir, 'remote', pushed);
    api = await startApi({ dataDir: join(dir, 'cp'), runtime: 'none' });
    agent = await startAgent({ server: api.url, token: api.token, name: node, runtime: 'oci', dataDir: join(dir, node), capacity: 'cpu=2,memory=1024', env: { ORCHESTRATOR_INSECURE_REGISTRIES: registry.host } });
  }, 120_000);

  afterAll(async () => {
    await agent?.kill();
    await api?.kill();
    await registry?.stop();
    removeDir(dir);
  });

  it('imports an archive to the node, lists it, and removes it', async () => {
    const imported = await api.cli(['image', 'import', archive, '--node', node]);
    expect(imported.code, imported.stderr).toBe(0);
    const ref = new RegExp(`^(\\S+) imported to ${node} \\(sha256:`).exec(imported.stdout)?.[1];
    expect(ref, imported.stdout).toBeDefined();
    expect(await images()).toContain(ref);

    const removed = await api.cli(['image', 'rm', ref!, '--node', node]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`${ref} removed from ${node}\n`);
    expect(await images()).not.toContain(ref);
  });

  it('pulls from a registry, showing progress, and then lists the image', async () => {
    const pulled = await api.cli(['image', 'pull', pushed, '--node', node]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toContain(`resolving ${pushed}`);
    expect(pulled.stdout).toMatch(new RegExp(`^${pushed} pulled to ${node} \\(sha256:[0-9a-f]{64}\\)\n$`));
    expect(await images()).toContain(pushed);
  });

  it('passes a failed pull\'s error on, with a non-zero exit', async () => {
    const missing = await api.cli(['image', 'pull', `${registry.host}/no-such:tag`, '--node', node]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/ImagePullError: not found/);
  });

  it('says which node it could not find, and exits non-zero', async () => {
    const res = await api.cli(['image', 'list', '--node', 'no-such-node']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('error: node "no-such-node" not found\n');
  });

  it('has the agent answer the admin\'s token and refuse a node\'s', async () => {
    const { token } = await api.client.request<{ token: string }>('POST', `/api/v1/nodes/${node}/token`);
    const { address } = await api.client.getNode(node);
    const [asAdmin, asAgent] = [api.token, token].map((t) => new ApiClient({ server: address!, token: t }));
    try {
      expect(await asAdmin.request('GET', '/v1/images')).toHaveProperty('items');
      await expect(asAgent.request('GET', '/v1/images')).rejects.toSatisfy((e) => isOrchestrationError(e, 'Unauthorized'));
    } finally {
      asAdmin.close();
      asAgent.close();
    }
  });
});
