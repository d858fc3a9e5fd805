import { filterPlugin } from '../plugin.js';
import { conflictingPorts } from '../resource-fit.js';

/** A host port (`TCP/8080`) is held by at most one instance per node. */
export const hostPortsFilter = filterPlugin<readonly string[]>({
  name: 'host-ports',
  scope: 'node',
  monotonic: true,
  prepare: (cycle) => (cycle.request.hostPorts.length > 0 ? cycle.request.hostPorts : undefined),
  check: (info, ports, cycle) => (conflictingPorts(info, ports, cycle.overlay.get(info.node.id)).length > 0 ? 'host port conflict' : undefined),
});
