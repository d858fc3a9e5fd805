import { OrchestrationError } from '../../types/errors.js';
import type { Membership } from './membership.js';
import { decodeStream, encodeStream } from './messages.js';
import type { Transport } from './transport.js';

/**
 * The stream side of the protocol: push-pull (each side sends its whole member table and merges
 * the other's; joining is a push-pull with a seed) and the TCP fallback ping.
 */

/** Exchanges tables with the member at `to` and merges its reply. Rejects when it cannot be reached. */
export async function pushPull(transport: Transport, membership: Membership, to: string, join: boolean, timeoutMs: number): Promise<void> {
  const request = encodeStream({ t: 'pushpull', join, from: membership.selfName, members: membership.localState() });
  const reply = decodeStream(await transport.exchange(to, request, timeoutMs));
  if (reply?.t !== 'pushpull') throw new OrchestrationError('ClusterError', `push-pull with ${to} got no state back`);
  membership.mergeRemote(reply.members);
}

/** Answers one incoming stream request: our table for a push-pull (then merges theirs), an ack for a ping meant for us. */
export function answerStream(membership: Membership, request: Uint8Array): Uint8Array {
  const m = decodeStream(request);
  if (!m) return encodeStream({ t: 'error', message: 'unreadable request' });
  if (m.t === 'ping') return encodeStream(m.target === membership.selfName ? { t: 'ack', seq: m.seq } : { t: 'error', message: 'wrong target' });
  if (m.t !== 'pushpull') return encodeStream({ t: 'error', message: `unexpected ${m.t}` });
  const reply = encodeStream({ t: 'pushpull', join: false, from: membership.selfName, members: membership.localState() });
  membership.mergeRemote(m.members);
  return reply;
}
