export { createImageStore, type ImageStore, type ImageStoreOptions, type UnpackedLayer } from './image-store.js';
export type { ImageRecord, ImageRunConfig } from './image-types.js';
export type { PullOptions, PullProgress } from './image-pull.js';
export type { ImportOptions } from './archive-import.js';
export type { RegistryAuth, RegistryConfig } from './registry-client.js';
export { ImagePullError, type PullFailure } from './pull-error.js';
export { parseImageRef, formatImageRef, canonicalImageRef, type ImageRef } from './reference.js';
export { UnsafeArchiveError } from './safe-untar.js';
