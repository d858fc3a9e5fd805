import { OrchestrationError } from '../types/errors.js';
import { DefaultScheduler, type DefaultSchedulerOptions } from './default-scheduler.js';
import { ResourceAwareScheduler } from './resource-aware.js';
import { RoundRobinScheduler } from './round-robin.js';
import type { Scheduler } from './scheduler.js';

export const SCHEDULER_NAMES = ['default', 'resource-aware', 'round-robin'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** The scheduler registered under `name`; `default` is the filter/score pipeline, configured by `options`. */
export function createScheduler(name: string = 'default', options: DefaultSchedulerOptions = {}): Scheduler {
  switch (name) {
    case 'round-robin':
      return new RoundRobinScheduler();
    case 'resource-aware':
      return new ResourceAwareScheduler();
    case 'default':
      return new DefaultScheduler(options);
    default:
      throw new OrchestrationError('InvalidInput', `unknown scheduler "${name}" (known: ${SCHEDULER_NAMES.join(', ')})`);
  }
}
