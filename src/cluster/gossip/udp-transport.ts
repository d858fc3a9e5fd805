import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIP, type Server, type Socket } from 'node:net';
import { OrchestrationError } from '../../types/errors.js';
import type { Logger } from '../../types/logger.js';
import { silentLogger } from '../../types/logger.js';
import { defaultAdvertiseHost, formatAddress, parseAddress } from './address.js';
import type { ExchangeHandler, PacketHandler, Transport } from './transport.js';

export interface UdpTransportOptions {
  /** `host:port` to bind UDP and TCP on (the same port for both); port 0 picks a free one. */
  bindAddr: string;
  /** `host:port` others should use; defaults to the bound host and port (a wildcard bind advertises the first non-internal IPv4). */
  advertiseAddr?: string;
  /** Largest stream message accepted, so a peer cannot make us buffer without bound. */
  maxStreamBytes?: number;
  /** How long an incoming stream may take to send its request. */
  streamTimeoutMs?: number;
  logger?: Logger;
}

const FRAME_HEADER = 4;

/**
 * The real transport: packets over UDP (node:dgram), the push-pull stream over TCP (node:net), both
 * on one port as memberlist does. A stream carries one length-prefixed request and one
 * length-prefixed reply.
 */
export class UdpTransport implements Transport {
  private packetHandler: PacketHandler = () => {};
  private exchangeHandler: ExchangeHandler | undefined;
  private readonly openSockets = new Set<Socket>();
  private closed = false;

  private constructor(
    readonly address: string,
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    private readonly opts: Required<Pick<UdpTransportOptions, 'maxStreamBytes' | 'streamTimeoutMs'>> & { logger: Logger },
  ) {
    udp.on('message', (msg, rinfo) => {
      if (!this.closed) this.packetHandler(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), formatAddress({ host: rinfo.address, port: rinfo.port }));
    });
    udp.on('error', (err) => opts.logger.warn({ err }, 'gossip udp socket error'));
    tcp.on('connection', (s) => this.serve(s));
  }

  static async create(options: UdpTransportOptions): Promise<UdpTransport> {
    const bind = parseAddress(options.bindAddr);
    const logger = (options.logger ?? silentLogger).child({ component: 'gossip-transport' });
    const opts = { maxStreamBytes: options.maxStreamBytes ?? 16 * 1024 * 1024, streamTimeoutMs: options.streamTimeoutMs ?? 10_000, logger };
    // With port 0, TCP picks the port and UDP must get the same one; another process may hold it for UDP, so retry.
    for (let attempt = 0; ; attempt++) {
      const tcp = createServer();
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(bind.port, bind.host, () => resolve());
      });
      const port = (tcp.address() as { port: number }).port;
      const udp = createSocket(isIP(bind.host) === 6 ? 'udp6' : 'udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, bind.host, () => resolve());
        });
      } catch (err) {
        await new Promise<void>((r) => tcp.close(() => r()));
        udp.close();
        if (bind.port !== 0 || attempt >= 20) throw new OrchestrationError('ClusterError', `cannot bind gossip UDP port ${port} on ${bind.host}`, { cause: err });
        continue;
      }
      const advertise = options.advertiseAddr ? parseAddress(options.advertiseAddr, port) : { host: defaultAdvertiseHost(bind.host), port };
      return new UdpTransport(formatAddress(advertise), udp, tcp, opts);
    }
  }

  sendPacket(to: string, data: Uint8Array): void {
    if (this.closed) return;
    let target;
    try {
      target = parseAddress(to);
    } catch {
      return;
    }
    this.udp.send(data, target.port, target.host, (err) => {
      if (err && !this.closed) this.opts.logger.debug({ err, to }, 'gossip packet not sent');
    });
  }

  onPacket(handler: PacketHandler): void {
    this.packetHandler = handler;
  }

  exchange(to: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new OrchestrationError('Unavailable', 'transport is closed'));
    const target = parseAddress(to);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port });
      this.openSockets.add(socket);
      const timer = setTimeout(() => socket.destroy(new OrchestrationError('Unavailable', `stream to ${to} timed out`)), timeoutMs);
      const done = (err?: unknown, reply?: Uint8Array) => {
        clearTimeout(timer);
        this.openSockets.delete(socket);
        socket.destroy();
        if (reply) resolve(reply);
        else reject(err instanceof OrchestrationError ? err : new OrchestrationError('Unavailable', `stream to ${to} failed`, { cause: err }));
      };
      socket.once('connect', () => socket.write(frame(request)));
      readFrame(socket, this.opts.maxStreamBytes, (err, reply) => done(err, reply));
    });
  }

  onExchange(handler: ExchangeHandler): void {
    this.exchangeHandler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.openSockets) s.destroy();
    await Promise.all([new Promise<void>((r) => this.tcp.close(() => r())), new Promise<void>((r) => this.udp.close(() => r()))]);
  }

  private serve(socket: Socket): void {
    this.openSockets.add(socket);
    socket.setTimeout(this.opts.streamTimeoutMs, () => socket.destroy());
    socket.on('close', () => this.openSockets.delete(socket));
    readFrame(socket, this.opts.maxStreamBytes, (err, request) => {
      if (err || !request || !this.exchangeHandler) return socket.destroy();
      const from = formatAddress({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 });
      Promise.resolve()
        .then(() => this.exchangeHandler!(request, from))
        .then(
          (reply) => socket.end(frame(reply)),
          () => socket.destroy(),
        );
    });
  }
}

function frame(data: Uint8Array): Buffer {
  const header = Buffer.alloc(FRAME_HEADER);
  header.writeUInt32BE(data.byteLength, 0);
  return Buffer.concat([header, data]);
}

/** Reads one length-prefixed frame from `socket`, then calls back exactly once. */
function readFrame(socket: Socket, maxBytes: number, cb: (err: unknown, data?: Uint8Array) => void): void {
  let buf = Buffer.alloc(0);
  let finished = false;
  const finish = (err: unknown, data?: Uint8Array) => {
    if (finished) return;
    finished = true;
    socket.removeListener('data', onData);
    cb(err, data);
  };
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length < FRAME_HEADER) return;
    const len = buf.readUInt32BE(0);
    if (len > maxBytes) return finish(new OrchestrationError('TooLarge', `stream message of ${len} bytes exceeds ${maxBytes}`));
    if (buf.length >= FRAME_HEADER + len) finish(undefined, new Uint8Array(buf.subarray(FRAME_HEADER, FRAME_HEADER + len)));
  };
  socket.on('data', onData);
  socket.once('error', (err) => finish(err));
  socket.once('close', () => finish(new OrchestrationError('Unavailable', 'stream closed before a full message')));
}
