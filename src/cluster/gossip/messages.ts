import { z } from 'zod';

/**
 * The wire format of the membership protocol. A UDP packet is a JSON array of messages: the first is
 * usually a probe message (ping, ack, ...), the rest are membership updates piggybacked on it. A
 * stream (TCP) carries one JSON object: a push-pull state exchange or a fallback ping.
 *
 * Everything read from the network is validated here; a packet that does not parse is dropped whole.
 */
const name = z.string().min(1).max(256);
const addr = z.string().min(1).max(300);
const inc = z.int().min(0);
const seq = z.int().min(0);

export const messageSchema = z.discriminatedUnion('t', [
  /** Are you alive? `target` names who the sender means, so a new process on a reused address is not mistaken for the old one. */
  z.object({ t: z.literal('ping'), seq, target: name, from: name, fromAddr: addr }),
  /** Please ping `target` for me and forward its ack (and a nack if it does not answer). */
  z.object({ t: z.literal('ind'), seq, target: name, targetAddr: addr, from: name, fromAddr: addr }),
  z.object({ t: z.literal('ack'), seq }),
  /** Sent by an indirect helper whose own ping went unanswered: proves the helper got the request. */
  z.object({ t: z.literal('nack'), seq }),
  z.object({ t: z.literal('alive'), name, inc, addr, meta: z.string().max(64 * 1024) }),
  z.object({ t: z.literal('suspect'), name, inc, from: name }),
  /** `from === name` means the member left on purpose. */
  z.object({ t: z.literal('dead'), name, inc, from: name }),
]);
export type Message = z.infer<typeof messageSchema>;
export type PingMessage = Extract<Message, { t: 'ping' }>;
export type IndirectPingMessage = Extract<Message, { t: 'ind' }>;
export type AliveMessage = Extract<Message, { t: 'alive' }>;
export type SuspectMessage = Extract<Message, { t: 'suspect' }>;
export type DeadMessage = Extract<Message, { t: 'dead' }>;

export const MEMBER_STATES = ['alive', 'suspect', 'dead', 'left'] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

export const pushPullStateSchema = z.object({ name, addr, inc, state: z.enum(MEMBER_STATES), meta: z.string().max(64 * 1024) });
export type PushPullState = z.infer<typeof pushPullStateSchema>;

export const streamMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('pushpull'), join: z.boolean(), from: name, members: z.array(pushPullStateSchema).max(100_000) }),
  z.object({ t: z.literal('ping'), seq, target: name, from: name, fromAddr: addr }),
  z.object({ t: z.literal('ack'), seq }),
  z.object({ t: z.literal('error'), message: z.string().max(1000) }),
]);
export type StreamMessage = z.infer<typeof streamMessageSchema>;

const packetSchema = z.array(messageSchema).min(1).max(1000);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodePacket(messages: Message[]): Uint8Array {
  return encoder.encode(JSON.stringify(messages));
}

/** The messages of a packet, or undefined when it is not a well-formed packet. */
export function decodePacket(data: Uint8Array): Message[] | undefined {
  try {
    const parsed = packetSchema.safeParse(JSON.parse(decoder.decode(data)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function encodeStream(message: StreamMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

export function decodeStream(data: Uint8Array): StreamMessage | undefined {
  try {
    const parsed = streamMessageSchema.safeParse(JSON.parse(decoder.decode(data)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes a message adds to a packet (its JSON plus the separating comma). */
export function encodedSize(message: Message): number {
  return encoder.encode(JSON.stringify(message)).length + 1;
}
