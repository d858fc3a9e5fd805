import { IMAGE_REFERENCE } from '../../types/container.js';
import { OrchestrationError } from '../../types/errors.js';

/**
 * An image reference split the way the distribution spec and Docker read it. `docker.io` is the
 * default registry and single-component names live under `library/`, so `busybox` and
 * `docker.io/library/busybox:latest` are the same image.
 */
export interface ImageRef {
  /** `host[:port]` as written (`docker.io` for the default). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_REGISTRY = 'docker.io';

export function parseImageRef(ref: string): ImageRef {
  if (ref.length > 255 || !IMAGE_REFERENCE.test(ref)) {
    throw OrchestrationError.invalidInput([{ path: 'image', message: `"${ref.slice(0, 80)}" is not an image reference` }], 'image reference');
  }
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  const first = parts[0];
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
  }
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, tag, digest };
}

/** The canonical name an image is stored under: `registry/repository:tag` or `…@digest`. */
export function formatImageRef(r: ImageRef): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export function canonicalImageRef(ref: string): string {
  return formatImageRef(parseImageRef(ref));
}

/** The host to talk to: Docker Hub's API lives at a different name than its references use. */
export function registryEndpoint(registry: string): string {
  return registry === DEFAULT_REGISTRY ? 'registry-1.docker.io' : registry;
}

export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
