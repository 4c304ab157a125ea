// The backend a run uses: the one already active when it matches the request, else the engine's choice.
import { BackendUnavailableError, currentBackend, initBackend, parseBackendPreference } from '../engine/backend';

/** A request the run cannot honour as given (unknown backend name, attack id, bad eps...). */
export class CheckInputError extends Error {
  override readonly name = 'CheckInputError';
}

export async function ensureBackend(preference: string | undefined): Promise<{ backend: string; backendReason: string }> {
  let pref;
  try {
    pref = parseBackendPreference(preference);
  } catch (err) {
    throw new CheckInputError(err instanceof Error ? err.message : String(err));
  }
  const active = currentBackend();
  let info;
  try {
    info = active !== undefined && (pref === 'auto' || pref === active.name) ? active : await initBackend({ preference: pref });
  } catch (err) {
    // A forced backend that cannot run here (webgpu without an adapter) is the request's problem, said as such.
    if (err instanceof BackendUnavailableError) throw new CheckInputError(err.message);
    throw err;
  }
  return { backend: info.name, backendReason: info.reason };
}
