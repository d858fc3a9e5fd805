import type { ContainerConfig } from '../../types/container.js';
import type { ImageRunConfig } from '../images/image-types.js';

/**
 * Builds the OCI runtime spec (config.json) of one container from its ContainerConfig and its
 * image's defaults, with Docker's defaults for what neither says: its capability set, masked and
 * read-only /proc and /sys paths, no-new-privileges, the standard /proc, /dev, /sys mounts. Pure:
 * every host path it needs is passed in, so it is tested without runc.
 */
export interface SpecInput {
  config: ContainerConfig;
  image: ImageRunConfig;
  hostname: string;
  /** argv, env, uid/gid and cwd already resolved against the image and rootfs. */
  process: { args: string[]; env: string[]; uid: number; gid: number; cwd: string };
  /** Host files bind-mounted at /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  cgroupsPath: string;
  /** The overlay runc mounts at "/" before anything else (absent when the rootfs dir is already filled). */
  rootMount?: OciMount;
  /** RLIMIT_NOFILE for the container: Docker's 1048576, or the node's hard limit where lower. */
  nofile?: number;
}

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** CFS period the quota is expressed in: the kernel's default, 100 ms. */
const CPU_PERIOD_US = 100_000;
const MIB = 1024 * 1024;

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export function buildSpec(input: SpecInput): Record<string, unknown> {
  const { config } = input;
  const caps = DEFAULT_CAPABILITIES;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: input.process.uid, gid: input.process.gid },
      args: input.process.args,
      env: input.process.env,
      cwd: input.process.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: input.nofile ?? 1048576, soft: input.nofile ?? 1048576 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: config.readOnlyRootfs === true },
    hostname: input.hostname,
    mounts: [...(input.rootMount ? [input.rootMount] : []), ...standardMounts(), ...etcMounts(input.etcFiles), ...userMounts(config)],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        ...(config.network === 'host' ? [] : [{ type: 'network' }]),
      ],
      cgroupsPath: input.cgroupsPath,
      resources: resources(config),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}

/** argv as Kubernetes composes it: `command` replaces ENTRYPOINT (and drops CMD), `args` replaces CMD. */
export function composeArgs(config: ContainerConfig, image: ImageRunConfig): string[] {
  if (config.command?.length) return [...config.command, ...(config.args ?? [])];
  return [...(image.Entrypoint ?? []), ...(config.args ?? image.Cmd ?? [])];
}

/** Image env, then the config's (which wins by name), with a default PATH and HOSTNAME. */
export function composeEnv(config: ContainerConfig, image: ImageRunConfig, hostname: string): string[] {
  const env = new Map<string, string>();
  env.set('PATH', DEFAULT_PATH.slice(5));
  env.set('HOSTNAME', hostname);
  for (const kv of image.Env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(config.env ?? {})) env.set(k, v);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export function resources(config: ContainerConfig): Record<string, unknown> {
  const req = config.resourceRequests;
  const lim = config.resourceLimits;
  const cpu: Record<string, number> = {};
  // Docker's scale: 1024 shares per core, at least 2 (the kernel minimum).
  if (req?.cpuMillicores) cpu.shares = Math.max(2, Math.round((req.cpuMillicores * 1024) / 1000));
  if (lim?.cpuMillicores) {
    cpu.quota = Math.max(1000, Math.round((lim.cpuMillicores * CPU_PERIOD_US) / 1000));
    cpu.period = CPU_PERIOD_US;
  }
  const memory: Record<string, number> = {};
  if (lim?.memoryMb) {
    memory.limit = lim.memoryMb * MIB;
    // No swap beyond the limit, so the limit is what the OOM killer enforces.
    memory.swap = lim.memoryMb * MIB;
  }
  if (req?.memoryMb) memory.reservation = Math.min(req.memoryMb, lim?.memoryMb ?? req.memoryMb) * MIB;
  return {
    devices: [{ allow: false, access: 'rwm' }],
    ...(Object.keys(cpu).length ? { cpu } : {}),
    ...(Object.keys(memory).length ? { memory } : {}),
  };
}

function standardMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

function etcMounts(files: SpecInput['etcFiles']): OciMount[] {
  const bind = (destination: string, source: string): OciMount => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec'] });
  return [bind('/etc/hostname', files.hostname), bind('/etc/hosts', files.hosts), bind('/etc/resolv.conf', files.resolvConf)];
}

function userMounts(config: ContainerConfig): OciMount[] {
  return (config.mounts ?? []).map((m) =>
    m.type === 'tmpfs'
      ? { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', ...(m.readOnly ? ['ro'] : [])] }
      : { destination: m.destination, type: 'bind', source: m.source!, options: ['rbind', 'rprivate', 'nosuid', 'nodev', m.readOnly ? 'ro' : 'rw'] },
  );
}

/** The lower of Docker's default and this process's hard open-files limit (a container may not raise it). */
export function nodeNofileLimit(limits: string): number {
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(limits);
  const hard = m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
  return Math.min(1048576, hard);
}
