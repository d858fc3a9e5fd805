import { OrchestrationError } from '../../types/errors.js';

export type PullFailure = 'not found' | 'unauthorized' | 'unreachable' | 'corrupt' | 'unsupported';

/**
 * Why an image could not be had. Its message starts `ImagePullError: <kind>:` so that the agent can
 * show it as the instance's reason and a person can tell a typo from a password from a network.
 */
export class ImagePullError extends OrchestrationError {
  readonly kind: PullFailure;

  constructor(kind: PullFailure, detail: string, cause?: unknown) {
    super('RuntimeError', `ImagePullError: ${kind}: ${detail}`, { cause, details: { reason: 'ImagePullError', kind } });
    this.kind = kind;
  }
}
