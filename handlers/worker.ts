// Placeholder until the handlers issue (#4) lands: the scheduled worker's entry point.
export async function handler(): Promise<{ ok: true }> {
  return { ok: true };
}
