export { Prober, type ProberOptions, type ProbeEvent, type ProbeNetwork } from './prober.js';
export { ProbeWorker, type ProbeKind } from './probe-worker.js';
export type { ProbeResult } from './probe-result.js';
