import { z } from 'zod';
import { dnsLabel, nonNegativeInt, positiveInt } from './common.js';
import { resourceRequirementsSchema } from './resources.js';

/**
 * Image references in the grammar of the distribution spec: `[host[:port]/]path[:tag][@digest]`.
 * Checked here so that nothing malformed reaches a registry client or a file path.
 */
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?';
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}';
export const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
export const imageReference = z
  .string()
  .min(1)
  .max(255)
  .regex(IMAGE_REFERENCE, { error: 'must be an image reference like "busybox", "busybox:1.36" or "registry.local:5000/team/app@sha256:…"' });

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const port = z.int({ error: 'must be a port number from 1 to 65535' }).min(1, { error: 'must be a port number from 1 to 65535' }).max(65535, { error: 'must be a port number from 1 to 65535' });
const absolutePath = z.string().max(4096).regex(/^\/[^\0]*$/, { error: 'must be an absolute path' });
const argv = z.array(z.string().max(32 * 1024).regex(/^[^\0]*$/, { error: 'must not contain NUL bytes' })).max(1024);

export const portMappingSchema = z.strictObject({
  containerPort: port,
  hostPort: port.optional(),
  protocol: z.enum(['TCP', 'UDP']).default('TCP'),
});
export type PortMapping = z.infer<typeof portMappingSchema>;

export const mountSchema = z.strictObject({
  type: z.enum(['bind', 'tmpfs']).default('bind'),
  source: absolutePath.optional(),
  destination: absolutePath,
  readOnly: z.boolean().default(false),
}).superRefine((m, ctx) => {
  if (m.type === 'bind' && !m.source) ctx.addIssue({ code: 'custom', path: ['source'], message: 'is required for a bind mount' });
});
export type Mount = z.infer<typeof mountSchema>;

/** A health check: exactly one of exec, http or tcp, with Kubernetes' timing fields and defaults. */
export const probeSchema = z.strictObject({
  exec: z.strictObject({ command: argv.min(1) }).optional(),
  http: z.strictObject({
    path: z.string().max(2048).regex(/^\//, { error: 'must start with "/"' }).default('/'),
    port,
    scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
    host: z.string().max(253).optional(),
  }).optional(),
  tcp: z.strictObject({ port, host: z.string().max(253).optional() }).optional(),
  initialDelaySeconds: nonNegativeInt(3600).default(0),
  periodSeconds: positiveInt(3600).default(10),
  timeoutSeconds: positiveInt(3600).default(1),
  successThreshold: positiveInt(100).default(1),
  failureThreshold: positiveInt(100).default(3),
}).superRefine((p, ctx) => {
  const kinds = [p.exec, p.http, p.tcp].filter((k) => k !== undefined).length;
  if (kinds !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'must have exactly one of exec, http or tcp' });
});
export type Probe = z.infer<typeof probeSchema>;

export const containerConfigSchema = z.strictObject({
  name: dnsLabel,
  image: imageReference,
  command: argv.optional(),
  args: argv.optional(),
  env: z.record(z.string().max(256).regex(ENV_NAME, { error: 'must be an environment variable name' }), z.string().max(128 * 1024)).optional(),
  workingDir: absolutePath.optional(),
  /** `uid` or `uid:gid`, numeric: names would need the image's /etc/passwd, read at run time. */
  user: z.string().regex(/^\d{1,10}(:\d{1,10})?$/, { error: 'must be "uid" or "uid:gid" (numbers)' }).optional(),
  portMappings: z.array(portMappingSchema).max(64).optional(),
  resourceRequests: resourceRequirementsSchema.optional(),
  resourceLimits: resourceRequirementsSchema.optional(),
  mounts: z.array(mountSchema).max(64).optional(),
  readOnlyRootfs: z.boolean().optional(),
  network: z.enum(['host', 'none']).optional(),
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  preStop: z.strictObject({ exec: z.strictObject({ command: argv.min(1) }) }).optional(),
});
export type ContainerConfig = z.infer<typeof containerConfigSchema>;
export type ContainerConfigInput = z.input<typeof containerConfigSchema>;
