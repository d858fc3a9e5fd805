import type { ApiClient } from '../../api/client.js';
import { execSessionOver, execStreamQuery } from '../../api/exec-channel.js';

/**
 * `exec -i` / `exec -it`: the command's input is this terminal's (or whatever is piped in), over the
 * API's exec WebSocket. With `-it` on a terminal, the terminal is put in raw mode, so keys (Ctrl-C
 * too) go to the command, and restored however the session ends. Resolves with the command's exit
 * code (130 when the CLI itself is interrupted).
 */
export async function interactiveExec(c: ApiClient, ref: string, command: string[], opts: { container?: string; tty?: boolean; stdin?: boolean }): Promise<number> {
  const tty = opts.tty ?? false;
  const stdin = opts.stdin ?? false;
  const socket = await c.connect(`/api/v1/instances/${encodeURIComponent(ref)}/exec/stream`, execStreamQuery({ command, container: opts.container, tty, stdin }));
  const session = execSessionOver(socket);
  session.stdout.pipe(process.stdout, { end: false });
  session.stderr.pipe(process.stderr, { end: false });

  const raw = tty && stdin && process.stdin.isTTY;
  const resize = () => session.resize?.(process.stdout.columns, process.stdout.rows);
  let onSigint: () => void = () => {};
  const interrupted = new Promise<number>((resolve) => {
    onSigint = () => {
      socket.close();
      resolve(130);
    };
  });
  process.once('SIGINT', onSigint);
  try {
    if (raw) process.stdin.setRawMode(true);
    if (stdin) process.stdin.pipe(session.stdin!);
    if (tty && process.stdout.isTTY) {
      resize();
      process.stdout.on('resize', resize);
    }
    return await Promise.race([session.exitCode, interrupted]);
  } finally {
    if (raw) process.stdin.setRawMode(false);
    process.stdout.off('resize', resize);
    process.off('SIGINT', onSigint);
    if (stdin) {
      process.stdin.unpipe(session.stdin!);
      // Reading stdin keeps the process alive; the session is over.
      process.stdin.destroy();
    }
  }
}
