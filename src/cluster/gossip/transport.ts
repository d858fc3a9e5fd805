/**
 * How members reach each other. Two channels, as in SWIM implementations: unreliable packets (UDP)
 * for probes and piggybacked gossip, and a reliable stream (TCP) for the periodic push-pull state
 * exchange and the fallback ping. Addresses are `host:port` strings for UDP; the in-memory network
 * uses whatever strings it was given.
 *
 * Implementations: `UdpTransport` (node:dgram + node:net) and `MemoryNetwork#attach` (tests and
 * benchmarks, with loss, delay and partitions).
 */
export interface Transport {
  /** The address other members use to reach this one. */
  readonly address: string;

  /** Sends one packet; fire and forget. The packet may be lost, and errors are not reported. */
  sendPacket(to: string, data: Uint8Array): void;

  /** Sets the receiver of packets; `from` is the sender's transport address as seen here. */
  onPacket(handler: PacketHandler): void;

  /**
   * Opens a stream to `to`, writes `request` and resolves with the one reply. Rejects when the peer
   * cannot be reached or does not answer within `timeoutMs`.
   */
  exchange(to: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array>;

  /** Sets the responder for incoming streams: one request in, one reply out. */
  onExchange(handler: ExchangeHandler): void;

  /** Stops sending and receiving and frees the ports. Idempotent. */
  close(): Promise<void>;
}

export type PacketHandler = (data: Uint8Array, from: string) => void;
export type ExchangeHandler = (request: Uint8Array, from: string) => Promise<Uint8Array> | Uint8Array;
