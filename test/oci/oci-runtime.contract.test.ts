import { afterAll, beforeAll } from 'vitest';
import { containerRuntimeContract } from '../contracts/container-runtime.contract.js';
import { busyboxCommand, ociWorld, skipOci } from './oci-fixture.js';

const skip = skipOci('oci runtime contract');
let world: Awaited<ReturnType<typeof ociWorld>> | undefined;

if (!skip) {
  beforeAll(async () => {
    world = await ociWorld();
  });
  afterAll(() => world?.cleanup());
  containerRuntimeContract('oci (runc + conmon)', async () => world!.runtime(), {
    commandFor: busyboxCommand,
    execCommand: { command: ['sh', '-c', 'echo out; echo err >&2; exit 7'], stdout: 'out\n', stderr: 'err\n', exitCode: 7 },
  });
}
