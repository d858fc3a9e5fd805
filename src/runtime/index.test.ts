import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isOrchestrationError } from '../types/errors.js';
import { createRuntime, detectRuntime, ProcessRuntime, SimulatedRuntime, type RuntimeName } from './index.js';

describe('createRuntime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runtime-index-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the process and simulated runtimes by name', async () => {
    const proc = await createRuntime('process', { dataDir: dir });
    expect(proc).toBeInstanceOf(ProcessRuntime);
    expect(proc.capabilities).toMatchObject({ survivesAgentRestart: true, exec: true, images: false });
    const sim = await createRuntime('simulated', { dataDir: dir });
    expect(sim).toBeInstanceOf(SimulatedRuntime);
    await proc.close?.();
    await sim.close?.();
  });

  it('asks for an image store before it builds the OCI runtime', async () => {
    await expect(createRuntime('oci', { dataDir: dir })).rejects.toSatisfy((e) => isOrchestrationError(e, 'RuntimeError') && /images/.test((e as Error).message));
  });

  it('rejects a name it does not know with InvalidInput', async () => {
    await expect(createRuntime('docker' as RuntimeName, { dataDir: dir })).rejects.toSatisfy((e) => isOrchestrationError(e, 'InvalidInput'));
  });
});

describe('detectRuntime', () => {
  it('picks the process runtime where runc is not on PATH', () => {
    expect(detectRuntime({ PATH: '/nonexistent' })).toBe('process');
  });

  it('picks oci where runc is on PATH and we are root, else process', () => {
    const bin = mkdtempSync(join(tmpdir(), 'fake-runc-'));
    try {
      writeFileSync(join(bin, 'runc'), '#!/bin/sh\nexit 0\n');
      chmodSync(join(bin, 'runc'), 0o755);
      const root = process.getuid?.() === 0;
      expect(detectRuntime({ PATH: bin })).toBe(root ? 'oci' : 'process');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
