/** The outcome of one probe attempt: what Kubernetes calls Success/Failure, with what it said. */
export interface ProbeResult {
  ok: boolean;
  /** Output or error, trimmed, for the Unhealthy event (at most OUTPUT_LIMIT characters). */
  output: string;
}

/** Kubernetes keeps 10 KiB of probe output; events only need the gist. */
export const OUTPUT_LIMIT = 1024;

export function clip(text: string): string {
  const t = text.trim();
  return t.length <= OUTPUT_LIMIT ? t : `${t.slice(0, OUTPUT_LIMIT)}…`;
}
