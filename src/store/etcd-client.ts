import { readFileSync } from 'node:fs';
import { Etcd3, EtcdAuthenticationFailedError, EtcdPermissionDeniedError, GRPCDeadlineExceededError, GRPCUnavailableError, isRecoverableError, type IOptions } from 'etcd3';
import { OrchestrationError } from '../types/errors.js';
import type { EtcdStoreOptions } from './etcd-url.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** After this many failures in a row a member is skipped for HOST_COOL_DOWN_MS: a dead member costs one refused connection, not one per call. */
const HOST_FAILURES_TO_SKIP = 2;
const HOST_COOL_DOWN_MS = 1_000;

type PolicyFn<T> = (context: { signal: AbortSignal }) => PromiseLike<T> | T;
interface Policy {
  execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T>;
}

/** Thrown by a member's breaker while it cools down; the pool then tries the next member. */
class MemberCoolingDown extends Error {}

/**
 * One breaker per member: skip a member that just failed twice, try it again after a second.
 * (etcd3's own default waits 5 s and retries three times, which turns a dead member into seconds
 * of latency.)
 */
function memberBreaker(): Policy {
  let failures = 0;
  let openUntil = 0;
  return {
    async execute(fn, signal) {
      if (Date.now() < openUntil) throw new MemberCoolingDown('member cooling down');
      try {
        const out = await fn({ signal: signal ?? new AbortController().signal });
        failures = 0;
        return out;
      } catch (err) {
        if (err instanceof Error && isRecoverableError(err) && ++failures >= HOST_FAILURES_TO_SKIP) {
          openUntil = Date.now() + HOST_COOL_DOWN_MS;
          failures = 0;
        }
        throw err;
      }
    },
  };
}

/** Errors after which the same request may be sent again: it did not run, or etcd was between leaders. */
function retriable(err: unknown): boolean {
  if (err instanceof GRPCUnavailableError || err instanceof GRPCDeadlineExceededError || err instanceof MemberCoolingDown) return true;
  return err instanceof Error && /no leader|leader changed|raft proposal dropped|request timed out|too many requests/.test(err.message);
}

/**
 * Rides through a member dying or an etcd leader election: a call is tried again (on whichever
 * member answers) while its whole budget lasts, each attempt with its own shorter deadline, so one
 * lost member costs a pause, not an error. Past the budget the last error stands (→ Unavailable).
 *
 * Retrying a timed-out transaction can at worst turn a commit that did land into a reported
 * conflict (its guard no longer matches): callers re-read on conflict, so nothing is applied twice.
 */
function retryWithin(budgetMs: number): Policy {
  return {
    async execute(fn, signal) {
      const start = Date.now();
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn({ signal: signal ?? new AbortController().signal });
        } catch (err) {
          const elapsed = Date.now() - start;
          if (!retriable(err) || elapsed >= budgetMs) throw err;
          // An unreachable member: try the next one now. Between leaders: give the election a moment.
          // (Every member cooling down means none answered lately: wait a little rather than spin.)
          const pause = err instanceof GRPCUnavailableError ? 0 : err instanceof MemberCoolingDown ? 100 : Math.min(200 * attempt, 1000);
          if (elapsed + pause >= budgetMs) throw err;
          if (pause > 0) await new Promise((r) => setTimeout(r, pause));
        }
      }
    },
  };
}

/** The parts of a grpc-js intercepting call this module touches. */
interface InterceptedCall {
  start(metadata: { set(key: string, value: string): void }, listener: unknown, next?: unknown): void;
}

/**
 * Adds etcd's `hasleader` metadata to every call (what clientv3's WithRequireLeader does): a member
 * that has lost its leader then refuses requests at once ("etcdserver: no leader") and cancels open
 * watch and keepalive streams, instead of letting them hang until etcd's own timeouts.
 */
function requireLeader(options: unknown, nextCall: (options: unknown) => InterceptedCall): InterceptedCall {
  const call = nextCall(options);
  const start = call.start.bind(call);
  call.start = (metadata, listener, next) => {
    metadata.set('hasleader', 'true');
    start(metadata, listener, next);
  };
  return call;
}

/** One attempt's deadline: half the call's budget (at least 1 s), so a request stuck on a dying member still gets a second try. */
function attemptTimeout(budgetMs: number): number {
  return Math.max(1_000, Math.floor(budgetMs / 2));
}

export function createEtcdClient(options: EtcdStoreOptions): Etcd3 {
  if (options.endpoints.length === 0) throw OrchestrationError.invalidInput([{ path: 'store', message: 'no etcd endpoints' }], 'store option');
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const config: IOptions = {
    hosts: options.endpoints,
    dialTimeout: timeout,
    grpcOptions: {
      // Large lists come back in one response per page; etcd's own request limit is 1.5 MiB.
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    },
    defaultCallOptions: (ctx) => ({
      interceptors: [requireLeader as never],
      ...(ctx.isStream ? {} : { deadline: Date.now() + attemptTimeout(timeout) }),
    }),
    faultHandling: {
      host: () => memberBreaker() as never,
      global: retryWithin(timeout) as never,
    },
  };
  if (options.tls && (options.tls.caFile || options.tls.certFile)) {
    config.credentials = {
      rootCertificate: options.tls.caFile ? readFileSync(options.tls.caFile) : (undefined as unknown as Buffer),
      ...(options.tls.certFile ? { certChain: readFileSync(options.tls.certFile) } : {}),
      ...(options.tls.keyFile ? { privateKey: readFileSync(options.tls.keyFile) } : {}),
    };
  }
  if (options.auth) config.auth = { username: options.auth.username, password: options.auth.password };
  return new Etcd3(config);
}

/**
 * What an etcd client error means to callers: refused credentials are `Unauthorized`/`Forbidden`,
 * a request etcd will never take is `TooLarge`, a compacted revision is `Gone`, and everything else
 * (unreachable, no leader, timed out) is `Unavailable`, which the API answers with 503.
 */
export function etcdError(err: unknown, what: string): OrchestrationError {
  if (err instanceof OrchestrationError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof EtcdAuthenticationFailedError || /user name is empty|authentication failed/.test(message)) return new OrchestrationError('Unauthorized', `etcd refused the credentials (${what}): ${message}`, { cause: err });
  if (err instanceof EtcdPermissionDeniedError) return new OrchestrationError('Forbidden', `etcd denied ${what}: ${message}`, { cause: err });
  if (/request is too large|too many operations in txn/.test(message)) {
    return new OrchestrationError('TooLarge', `etcd refused ${what} as too large (raise etcd's --max-request-bytes / --max-txn-ops): ${message}`, { cause: err });
  }
  if (/duplicate key given in txn/.test(message)) return new OrchestrationError('InvalidInput', `one commit changes a key twice (${what})`, { cause: err });
  if (/required revision has been compacted/.test(message)) return new OrchestrationError('Gone', `${what}: revision compacted; list again`, { cause: err });
  return new OrchestrationError('Unavailable', `etcd unavailable (${what}): ${message}`, { cause: err });
}
