/**
 * The start-up check of a Docker daemon: one `GET /_ping` with a short deadline, so a daemon whose socket
 * accepts connections but never answers (hung, or something else listening there) stops start-up within
 * seconds, with a sentence that says so, instead of after the ordinary call deadlines.
 */
import type { DockerTarget } from './docker-host.js';
import { createProvisionApi } from './provision-api.js';

/** How long start-up waits for the daemon's answer to its first call before refusing to start. */
export const DOCKER_STARTUP_TIMEOUT_MS = 5000;

/** The cause a start-up refusal names when the daemon did not answer in time. */
export function startupTimeoutCause(timeoutMs: number = DOCKER_STARTUP_TIMEOUT_MS): string {
  return `timeout: no reply within ${timeoutMs / 1000} s`;
}

export type DaemonProbe =
  | { readonly ok: true }
  | { readonly ok: false; readonly timeout: boolean; readonly error: string };

/** Pings the daemon once; never rejects. `timeout`: the connection stayed silent past the deadline. */
export async function probeDaemon(
  target: DockerTarget,
  timeoutMs: number = DOCKER_STARTUP_TIMEOUT_MS,
): Promise<DaemonProbe> {
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort(new Error(startupTimeoutCause(timeoutMs)));
  }, timeoutMs);
  timer.unref();
  try {
    await createProvisionApi(target).ping(ctl.signal);
    return { ok: true };
  } catch (err) {
    const error = timedOut
      ? startupTimeoutCause(timeoutMs)
      : err instanceof Error
        ? err.message
        : String(err);
    return { ok: false, timeout: timedOut, error };
  } finally {
    clearTimeout(timer);
  }
}
