import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const EXIT_FILE = 'exit';

/**
 * The supervisor that outlives the agent so that an exit code is never lost (what conmon is to runc,
 * and Nomad's executor to raw_exec), at the cost of one /bin/sh per container. It runs this fixed
 * script with the exit file as its only argument; the container's argv comes in environment variables
 * (ARGV_ENV_PREFIX + index, and the count), so that `ps` and `pgrep -f` show the command once, not in the
 * supervisor's line too. The values are never parsed by the shell: `eval` only ever sees the variable
 * names it builds. The script:
 * - rebuilds "$@" from those variables and removes them from the environment;
 * - starts the command in the background (so it learns its PID, sent to the agent on fd 3), exec'd by
 *   `env` with SIGINT/SIGQUIT back at their defaults (an asynchronous list would otherwise ignore them);
 * - traps TERM/INT/HUP/QUIT with a no-op, so a signal to the process group reaches the command and the
 *   supervisor stays to see how it ends (a SIGKILL ends both: then the agent records 137);
 * - writes the exit status (128+N for signal N) to the exit file, one small write() that a reader
 *   sees whole or not at all (an empty file reads as "not yet"), and exits with it.
 * `kill -0` tells a `wait` interrupted by a trapped signal (command still there) from a real exit.
 */
export const ARGV_ENV_PREFIX = 'ORCHESTRATOR_SUPERVISED_ARG_';
export const ARGC_ENV = 'ORCHESTRATOR_SUPERVISED_ARGC';

export const SUPERVISOR_SCRIPT = `# orchestrator process-runtime supervisor: sh supervisor.sh EXIT_FILE, argv in the environment
trap : TERM INT HUP QUIT
exitfile=$1
i=$${ARGC_ENV}
unset ${ARGC_ENV}
set --
while [ "$i" -gt 0 ]; do
  i=$((i - 1))
  eval "set -- \\"\\$${ARGV_ENV_PREFIX}$i\\" \\"\\$@\\"; unset ${ARGV_ENV_PREFIX}$i"
done
env --default-signal=INT,QUIT -- "$@" 3>&- &
child=$!
echo "$child" >&3
exec 3>&-
while :; do
  wait "$child"
  st=$?
  kill -0 "$child" 2>/dev/null || break
done
echo "$st" > "$exitfile"
exit "$st"
`;

/** The environment that hands `argv` to the supervisor script. */
export function argvEnvironment(argv: string[]): Record<string, string> {
  const env: Record<string, string> = { [ARGC_ENV]: String(argv.length) };
  argv.forEach((arg, i) => (env[`${ARGV_ENV_PREFIX}${i}`] = arg));
  return env;
}

/** Writes the script under `dataDir` (atomically: running supervisors may be reading their copy) and returns its path. */
export function installSupervisor(dataDir: string): string {
  const path = join(dataDir, 'supervisor.sh');
  writeFileSync(`${path}.tmp`, SUPERVISOR_SCRIPT, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return path;
}

let supported: boolean | undefined;

/** True where /bin/sh runs and `env` can reset signals (GNU coreutils 8.31+); else containers run unsupervised. */
export function supervisorSupported(): boolean {
  if (supported === undefined) {
    try {
      execFileSync('/bin/sh', ['-c', 'env --default-signal=INT -- true'], { stdio: 'ignore', timeout: 5000 });
      supported = true;
    } catch {
      supported = false;
    }
  }
  return supported;
}

/** The status the supervisor wrote for the container's command, or undefined when it wrote none. */
export function readExitFile(containerDir: string): number | undefined {
  try {
    const text = readFileSync(join(containerDir, EXIT_FILE), 'utf8').trim();
    const code = Number(text);
    return text !== '' && Number.isInteger(code) && code >= 0 && code <= 255 ? code : undefined;
  } catch {
    return undefined;
  }
}
