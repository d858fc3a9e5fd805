import type { ContainerConfig } from '../types/container.js';
import type { WorkloadInstance } from '../types/instance.js';

/**
 * What the agent asks of health checking. The agent tells it when containers start and go; it
 * answers readiness, and hands over liveness failures (containers to restart). `onChange` is called
 * when a verdict changes, so the agent syncs that instance again.
 */
export interface ProbeSupervisor {
  readiness(instanceId: string, container: ContainerConfig): boolean;
  containerStarted(nodeId: string, instance: WorkloadInstance, container: ContainerConfig, containerId: string): void;
  containerGone(containerId: string): void;
  takeLivenessFailure(containerId: string): string | undefined;
  onChange(listener: (instanceId: string) => void): void;
  stop(): void;
}

/**
 * The supervisor for containers without probes: a running container is ready, and none is ever
 * found dead by a probe. Containers that declare probes need the real prober.
 */
export class NoProbes implements ProbeSupervisor {
  readiness(): boolean {
    return true;
  }
  containerStarted(): void {}
  containerGone(): void {}
  takeLivenessFailure(): string | undefined {
    return undefined;
  }
  onChange(): void {}
  stop(): void {}
}
