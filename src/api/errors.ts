import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OrchestrationError, type ErrorCode } from '../types/errors.js';
import type { Logger } from '../types/logger.js';

/** The one place error codes become HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  InvalidInput: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  Gone: 410,
  TooLarge: 413,
  SchedulingError: 422,
  RateLimited: 429,
  StateError: 500,
  Internal: 500,
  RuntimeError: 502,
  ClusterError: 503,
  Unavailable: 503,
};

/** Turns anything thrown in a handler (ours, Fastify's, a bug) into the documented error body. */
export function toOrchestrationError(err: unknown): OrchestrationError {
  if (err instanceof OrchestrationError) return err;
  const fe = err as FastifyError & { statusCode?: number };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OrchestrationError('TooLarge', `request body is larger than the limit: ${fe.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OrchestrationError('InvalidInput', 'unsupported content type: send application/json or application/yaml', { details: { status: 415 } });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return OrchestrationError.invalidInput([{ path: '', message: 'body is empty; expected a JSON object' }]);
  }
  if (err instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return OrchestrationError.invalidInput([{ path: '', message: `malformed JSON: ${fe.message}` }]);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new OrchestrationError(fe.statusCode === 404 ? 'NotFound' : fe.statusCode === 413 ? 'TooLarge' : 'InvalidInput', fe.message);
  }
  return new OrchestrationError('Internal', 'internal error', { cause: err });
}

export function errorHandler(log: Logger) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const e = toOrchestrationError(err);
    const status = e.code === 'InvalidInput' && (e.details as { status?: number } | undefined)?.status === 415 ? 415 : HTTP_STATUS[e.code];
    if (status >= 500) log.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err), url: request.url, method: request.method }, 'request failed');
    if (e.code === 'Unavailable') reply.header('retry-after', '2');
    reply.status(status).send(e.toBody());
  };
}
