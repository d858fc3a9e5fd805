import type { ContainerConfig } from '../../types/container.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * A container's environment, built clean: the agent's own variables (its API token among them) never
 * reach a container. Only PATH (so commands resolve as on the host), HOME and LANG are taken from the
 * agent; HOSTNAME is the instance name; the config's `env` goes on top.
 */
export function containerEnvironment(config: ContainerConfig, hostname: string | undefined, host: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { PATH: host.PATH ?? DEFAULT_PATH };
  if (host.HOME) env.HOME = host.HOME;
  if (host.LANG) env.LANG = host.LANG;
  if (hostname) env.HOSTNAME = hostname;
  return { ...env, ...config.env };
}

/** `uid` or `uid:gid` (validated numeric by the schema) as spawn options. */
export function userOf(user: string | undefined): { uid?: number; gid?: number } {
  if (!user) return {};
  const [uid, gid] = user.split(':').map(Number);
  return gid === undefined ? { uid } : { uid, gid };
}
