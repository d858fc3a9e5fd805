/** The parts of the OCI image format (and Docker's v2 schema 2, its twin) this store reads. */

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const INDEX_TYPES: string[] = [MEDIA.ociIndex, MEDIA.dockerList];
export const MANIFEST_TYPES: string[] = [MEDIA.ociManifest, MEDIA.dockerManifest];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** The run-time defaults an image carries (`config` of the OCI image configuration). */
export interface ImageRunConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  config?: ImageRunConfig;
  rootfs?: { type: string; diff_ids: string[] };
}

/** One image in the local store, by the name it was pulled or imported under. */
export interface ImageRecord {
  /** Canonical reference: `registry/repository:tag` (or `@digest`). */
  ref: string;
  /** Digest of the manifest (the image id users see). */
  digest: string;
  configDigest: string;
  /** Layer blob digests, bottom first. */
  layers: string[];
  /** Sum of compressed layer sizes, bytes. */
  size: number;
  config: ImageRunConfig;
  /** When it was pulled or imported, ISO-8601. */
  createdAt: string;
}

/** Which manifest of a multi-platform image this machine runs. */
export function hostPlatform(): { os: string; architecture: string; variant?: string } {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch, ...(process.arch === 'arm64' ? { variant: 'v8' } : {}) };
}

export function pickPlatform(index: ImageIndex, want = hostPlatform()): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  return candidates.find((m) => !want.variant || !m.platform?.variant || m.platform.variant === want.variant) ?? candidates[0];
}
