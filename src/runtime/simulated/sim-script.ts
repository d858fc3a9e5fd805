import { OrchestrationError } from '../../types/errors.js';

/**
 * How a simulated container behaves, read from its environment (as Nomad's mock driver reads task
 * config): nothing scripted means it starts at once and runs until stopped.
 *
 * - `SIM_RUN_FOR=ms`        exit after this long (default: run until stopped)
 * - `SIM_EXIT_CODE=n`       the exit code when it exits by itself (default 0)
 * - `SIM_START_ERROR=text`  createContainer fails with this message, nothing is kept
 * - `SIM_START_DELAY=ms`    createContainer resolves only after this long (image pull, slow start)
 * - `SIM_IGNORE_SIGTERM=1`  stop waits out the grace period and kills it (exit 137)
 * - `SIM_LOG=text`          printed at start (a newline is added when missing)
 * - `SIM_EXIT_LOG=text`     printed when it exits by itself
 * - `SIM_ECHO_ENV=NAME`     prints the value of variable NAME at start
 */
export interface SimScript {
  runForMs?: number;
  exitCode: number;
  startError?: string;
  startDelayMs?: number;
  ignoresSigterm: boolean;
  /** Output at start, already newline-terminated, or undefined. */
  startLog?: string;
  exitLog?: string;
}

export function parseSimScript(env: Record<string, string> | undefined): SimScript {
  const e = env ?? {};
  const script: SimScript = { exitCode: 0, ignoresSigterm: e.SIM_IGNORE_SIGTERM === '1' || e.SIM_IGNORE_SIGTERM === 'true' };
  if (e.SIM_RUN_FOR !== undefined) script.runForMs = millis('SIM_RUN_FOR', e.SIM_RUN_FOR);
  if (e.SIM_START_DELAY !== undefined) script.startDelayMs = millis('SIM_START_DELAY', e.SIM_START_DELAY);
  if (e.SIM_EXIT_CODE !== undefined) {
    const code = Number(e.SIM_EXIT_CODE);
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new OrchestrationError('RuntimeError', `SIM_EXIT_CODE must be an integer from 0 to 255, got "${e.SIM_EXIT_CODE}"`);
    script.exitCode = code;
  }
  if (e.SIM_START_ERROR !== undefined) script.startError = e.SIM_START_ERROR || 'scripted start error';
  let startLog = line(e.SIM_LOG);
  if (e.SIM_ECHO_ENV !== undefined) startLog = (startLog ?? '') + `${e[e.SIM_ECHO_ENV] ?? ''}\n`;
  if (startLog !== undefined) script.startLog = startLog;
  const exitLog = line(e.SIM_EXIT_LOG);
  if (exitLog !== undefined) script.exitLog = exitLog;
  return script;
}

function millis(name: string, value: string): number {
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 0) throw new OrchestrationError('RuntimeError', `${name} must be a number of milliseconds, got "${value}"`);
  return ms;
}

function line(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  return text.endsWith('\n') ? text : `${text}\n`;
}
