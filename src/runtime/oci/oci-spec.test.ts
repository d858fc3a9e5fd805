import { describe, expect, it } from 'vitest';
import type { ContainerConfig } from '../../types/container.js';
import { buildSpec, composeArgs, composeEnv, DEFAULT_CAPABILITIES, nodeNofileLimit, resources } from './oci-spec.js';

const base: ContainerConfig = { name: 'main', image: 'busybox' };
const etcFiles = { hostname: '/b/etc/hostname', hosts: '/b/etc/hosts', resolvConf: '/b/etc/resolv.conf' };

describe('OCI spec from a ContainerConfig', () => {
  it('composes argv as Kubernetes does: command replaces ENTRYPOINT and drops CMD, args replace CMD', () => {
    const image = { Entrypoint: ['/entry'], Cmd: ['default'] };
    expect(composeArgs(base, image)).toEqual(['/entry', 'default']);
    expect(composeArgs({ ...base, args: ['x'] }, image)).toEqual(['/entry', 'x']);
    expect(composeArgs({ ...base, command: ['/bin/run'] }, image)).toEqual(['/bin/run']);
    expect(composeArgs({ ...base, command: ['/bin/run'], args: ['y'] }, image)).toEqual(['/bin/run', 'y']);
  });

  it('lets the config\'s env override the image\'s, with PATH and HOSTNAME defaults', () => {
    const env = composeEnv({ ...base, env: { A: 'config', B: 'b' } }, { Env: ['A=image', 'C=c'] }, 'web-1');
    expect(env).toEqual(expect.arrayContaining(['A=config', 'B=b', 'C=c', 'HOSTNAME=web-1']));
    expect(env.find((e) => e.startsWith('PATH='))).toBeDefined();
  });

  it('turns millicores into CPU shares and a CFS quota, and megabytes into a memory limit without swap', () => {
    expect(resources({ ...base, resourceRequests: { cpuMillicores: 500, memoryMb: 64 }, resourceLimits: { cpuMillicores: 1500, memoryMb: 128 } })).toMatchObject({
      cpu: { shares: 512, quota: 150_000, period: 100_000 },
      memory: { limit: 128 * 2 ** 20, swap: 128 * 2 ** 20, reservation: 64 * 2 ** 20 },
    });
    expect(resources({ ...base, resourceRequests: { cpuMillicores: 1 } })).toMatchObject({ cpu: { shares: 2 } });
    expect(resources(base)).not.toHaveProperty('cpu');
  });

  it('isolates pid, ipc, uts and mount, and the network unless it is the host\'s', () => {
    const spec = (network?: 'host' | 'none') => buildSpec({ config: { ...base, network }, image: {}, hostname: 'h', process: { args: ['sh'], env: [], uid: 0, gid: 0, cwd: '/' }, etcFiles, cgroupsPath: '/o/x' }) as { linux: { namespaces: Array<{ type: string }> } };
    expect(spec('none').linux.namespaces.map((n) => n.type)).toEqual(['pid', 'ipc', 'uts', 'mount', 'network']);
    expect(spec('host').linux.namespaces.map((n) => n.type)).toEqual(['pid', 'ipc', 'uts', 'mount']);
  });

  it('drops to Docker\'s capabilities, sets no-new-privileges, masks paths, and makes the root read-only on request', () => {
    const spec = buildSpec({ config: { ...base, readOnlyRootfs: true }, image: {}, hostname: 'h', process: { args: ['sh'], env: [], uid: 1, gid: 1, cwd: '/' }, etcFiles, cgroupsPath: '/o/x' }) as Record<string, any>;
    expect(spec.process.capabilities.bounding).toEqual(DEFAULT_CAPABILITIES);
    expect(spec.process.capabilities.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(spec.process.noNewPrivileges).toBe(true);
    expect(spec.linux.maskedPaths).toContain('/proc/kcore');
    expect(spec.linux.readonlyPaths).toContain('/proc/sys');
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
  });

  it('binds user mounts read-only when asked, with nosuid and nodev', () => {
    const spec = buildSpec({ config: { ...base, mounts: [{ type: 'bind', source: '/srv/data', destination: '/data', readOnly: true }] }, image: {}, hostname: 'h', process: { args: ['sh'], env: [], uid: 0, gid: 0, cwd: '/' }, etcFiles, cgroupsPath: '/o/x' }) as { mounts: Array<{ destination: string; options: string[] }> };
    expect(spec.mounts.find((m) => m.destination === '/data')?.options).toEqual(expect.arrayContaining(['rbind', 'ro', 'nosuid', 'nodev']));
  });

  it('caps the open-files limit at the node\'s hard limit', () => {
    expect(nodeNofileLimit('Max open files            20000                20000                files\n')).toBe(20000);
    expect(nodeNofileLimit('Max open files            unlimited            unlimited            files\n')).toBe(1048576);
  });
});
