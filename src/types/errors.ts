/**
 * The one error type every layer throws. Each error carries a stable `code` from the registry below;
 * the API maps codes to HTTP statuses in exactly one place (`api/errors.ts`), the CLI prints
 * `message` and, for InvalidInput, every field in `details`.
 *
 * Expected outcomes (a workload that fits nowhere, a compare-and-swap that lost) are values, not
 * throws; an OrchestrationError means the caller cannot go on with what it asked.
 */
export const ERROR_CODES = [
  'InvalidInput',
  'NotFound',
  'Conflict',
  'SchedulingError',
  'RuntimeError',
  'ClusterError',
  'StateError',
  'Unauthorized',
  'Forbidden',
  'TooLarge',
  'RateLimited',
  'Unavailable',
  'Gone',
  'Internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** One bad field: `path` is `containers[0].resourceRequests.memoryMb`, `message` what is wrong. */
export interface FieldError {
  path: string;
  message: string;
  /** `file:line` where the field was read from a file (set by the CLI). */
  location?: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class OrchestrationError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options?: { details?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrchestrationError';
    this.code = code;
    this.details = options?.details;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }

  static invalidInput(fields: FieldError[], what = 'request'): OrchestrationError {
    const first = fields[0];
    const summary = first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'invalid';
    const more = fields.length > 1 ? ` (and ${fields.length - 1} more)` : '';
    return new OrchestrationError('InvalidInput', `invalid ${what}: ${summary}${more}`, { details: { fields } });
  }

  static notFound(kind: string, idOrName: string): OrchestrationError {
    return new OrchestrationError('NotFound', `${kind} "${idOrName}" not found`);
  }

  static conflict(message: string, details?: unknown): OrchestrationError {
    return new OrchestrationError('Conflict', message, { details });
  }
}

export function isOrchestrationError(err: unknown, code?: ErrorCode): err is OrchestrationError {
  return err instanceof OrchestrationError && (code === undefined || err.code === code);
}

/** Fields of an InvalidInput error, or [] for any other error. */
export function fieldErrorsOf(err: unknown): FieldError[] {
  if (!isOrchestrationError(err, 'InvalidInput')) return [];
  const details = err.details as { fields?: FieldError[] } | undefined;
  return details?.fields ?? [];
}
