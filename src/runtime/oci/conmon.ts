import { spawnProcess } from '../../lib/spawn.js';

/**
 * Starts Debian's conmon as the container's monitor. conmon daemonizes (its own session, reparented
 * to init), runs `<runtime> create`, holds the container's stdout/stderr and writes them to `logPath`
 * (CRI "k8s-file" lines), and when the container ends writes its exit code to `<exitDir>/<id>` and
 * `<persistDir>/exit` (and `<persistDir>/oom` after an OOM kill): all of it while the agent may be
 * down. Resolves with the container's host pid once it is created (not yet started); rejects with
 * the runtime's error otherwise. Only the sync pipe is passed to conmon, no other fd of ours.
 */
export interface MonitorPaths {
  bundle: string;
  logPath: string;
  pidFile: string;
  conmonPidFile: string;
  exitDir: string;
  persistDir: string;
  socketDir: string;
  /** conmon truncates the log when it reaches this size (bytes). */
  logSizeMax?: number;
}

export async function startMonitor(conmon: string, runtime: string, runtimeRoot: string, id: string, paths: MonitorPaths): Promise<number> {
  const args = [
    '--api-version', '1',
    '-c', id, '-u', id, '-n', id,
    '-r', runtime,
    '--runtime-arg', '--root', '--runtime-arg', runtimeRoot,
    '-b', paths.bundle,
    '-p', paths.pidFile,
    '-P', paths.conmonPidFile,
    '-l', `k8s-file:${paths.logPath}`,
    '--exit-dir', paths.exitDir,
    '-0', paths.persistDir,
    '--socket-dir-path', paths.socketDir,
    '--log-level', 'error',
    ...(paths.logSizeMax ? ['--log-size-max', String(paths.logSizeMax)] : []),
  ];
  const child = spawnProcess(conmon, args, {
    fds: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { _OCI_SYNCPIPE: '3', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    // conmon also drops an `oom` marker in its working directory (CRI-O runs it in the bundle):
    // run it there too, so the marker stays with the container and not wherever the agent started.
    cwd: paths.bundle,
    detached: true,
  });
  const sync = child.pipes.get(3);
  if (!sync) {
    const { error } = await child.exited;
    throw new Error(`conmon could not be started: ${error?.message ?? 'unknown error'}`);
  }
  let text = '';
  try {
    for await (const chunk of sync) {
      text += (chunk as Buffer).toString('utf8');
      const msg = firstJson(text);
      if (msg) {
        if (typeof msg.data === 'number' && msg.data > 0) return msg.data;
        throw new Error(cleanRuntimeMessage(msg.message ?? `conmon reported ${String(msg.data)}`));
      }
    }
    throw new Error(`conmon ended without creating the container${text ? `: ${text.slice(0, 300)}` : ''}`);
  } finally {
    sync.destroy();
  }
}

function firstJson(text: string): { data?: number; message?: string } | undefined {
  const end = text.indexOf('}');
  if (end < 0) return undefined;
  try {
    return JSON.parse(text.slice(0, end + 1)) as { data?: number; message?: string };
  } catch {
    return undefined;
  }
}

/** runc's logrus lines (`time="…" level=error msg="…"`) → the message. */
function cleanRuntimeMessage(message: string): string {
  const msgs = [...message.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\"/g, '"'));
  return (msgs.length ? msgs.join('; ') : message).trim();
}
