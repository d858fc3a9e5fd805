import { OrchestrationError } from '../types/errors.js';
import { ResourceAwareScheduler } from './resource-aware.js';
import { RoundRobinScheduler } from './round-robin.js';
import type { Scheduler } from './scheduler.js';

export const SCHEDULER_NAMES = ['default', 'resource-aware', 'round-robin'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** The scheduler registered under `name`; `default` is the filter/score pipeline. */
export function createScheduler(name: string = 'default'): Scheduler {
  switch (name) {
    case 'round-robin':
      return new RoundRobinScheduler();
    case 'resource-aware':
    case 'default':
      return new ResourceAwareScheduler();
    default:
      throw new OrchestrationError('InvalidInput', `unknown scheduler "${name}" (known: ${SCHEDULER_NAMES.join(', ')})`);
  }
}
