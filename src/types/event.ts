/** What `describe` and `events` show: something that happened to one object. */
export interface ClusterEventRecord {
  eventId: string;
  /** ISO time of the latest occurrence. */
  time: string;
  firstTime: string;
  count: number;
  type: 'Normal' | 'Warning';
  /** CamelCase, stable: `Scheduled`, `FailedScheduling`, `Started`, `BackOff`, `ScaledUp`… */
  reason: string;
  message: string;
  object: { kind: 'Workload' | 'Instance' | 'Node' | 'Cluster'; id: string; name: string };
  /** The workload the object belongs to, so `events --workload W` finds instance events too. */
  workloadId?: string;
  nodeId?: string;
  /** Which component said it (`scheduler`, `agent/node-1`). */
  source: string;
}

export type EventInput = Omit<ClusterEventRecord, 'eventId' | 'time' | 'firstTime' | 'count'>;
