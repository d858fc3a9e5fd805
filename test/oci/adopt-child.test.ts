import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createImageStore } from '../../src/runtime/images/index.js';
import { createOciRuntime } from '../../src/runtime/oci/index.js';
import type { ContainerConfig } from '../../src/types/container.js';
import { silentLogger } from '../../src/types/logger.js';

/**
 * The "first agent" of the adoption test in oci-runtime.test.ts, run by it as a separate vitest
 * process: starts two containers in the data dir it is given, then its process ends. Without
 * ORCH_OCI_ADOPT_DIR it has nothing to do.
 */
const dir = process.env.ORCH_OCI_ADOPT_DIR;
if (!dir) process.stderr.write('SKIP adopt-child: a fixture that oci-runtime.test.ts runs as its own process (with ORCH_OCI_ADOPT_DIR); nothing to do alone\n');

describe.skipIf(!dir)('agent process that starts containers and goes away', () => {
  it('starts a ticker and a container that exits 4 a second later', async () => {
    const images = createImageStore({ root: join(dir!, 'images'), logger: silentLogger });
    const runtime = createOciRuntime({ dataDir: join(dir!, 'runtime'), logger: silentLogger, images });
    const node = process.env.ORCH_OCI_ADOPT_NODE!;
    const image = process.env.ORCH_OCI_ADOPT_IMAGE!;
    await runtime.createContainer(node, 'ticker', { name: 'main', image, command: ['sh', '-c', 'while :; do echo tick; sleep 0.1; done'] } as ContainerConfig, { labels: { app: 'ticker' } });
    await runtime.createContainer(node, 'short', { name: 'main', image, command: ['sh', '-c', 'sleep 1; exit 4'] } as ContainerConfig, { labels: { app: 'short' } });
    expect((await runtime.listContainers(node)).map((c) => c.state)).toEqual(['Running', 'Running']);
    await runtime.close!();
  });
});
