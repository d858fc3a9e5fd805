export { createOciRuntime, OciRuntime, type OciRuntimeOptions } from './oci-runtime.js';
export { buildSpec, DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS } from './oci-spec.js';
export { ociUnavailableReason } from './availability.js';
