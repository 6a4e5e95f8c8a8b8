import { resolveProfile, type Profile } from "../config";
import { selectBackend, type BackendInfo } from "./select";
import { tf } from "./tf";

export { tf };
export * from "./select";
export { selfCheck } from "./selfcheck";
export { describeAdapter, isSoftwareAdapter, loadWebGpu, noGpuReason, requestedDawnBackend, webgpuAdapter, DAWN_BACKENDS, type WebGpuAdapter } from "./webgpu";

let selected: Promise<BackendInfo> | undefined;

/** Selects the backend once per process (later calls return the same answer). */
export function initBackend(): Promise<BackendInfo> {
  if (selected === undefined) {
    selected = selectBackend();
    // A failed selection may be retried after the user fixes MIA_BACKEND.
    selected.catch(() => (selected = undefined));
  }
  return selected;
}

/** The one-line banner every notebook prints first. */
export function banner(info: BackendInfo, profile: Profile): string {
  const backend = info.detail ? `${info.id} (${info.detail})` : info.id;
  const parts = [
    `backend ${backend}`,
    `tfjs ${info.tfjsVersion}`,
    `threads ${info.threads}`,
    `profile ${profile.name}`,
    `node ${process.versions.node}`,
  ];
  if (info.skipped.length > 0) {
    parts.push(`skipped: ${info.skipped.map((s) => `${s.id} [${s.reason}]`).join("; ")}`);
  }
  return `mia | ${parts.join(" | ")}`;
}

export interface Session {
  readonly tf: typeof tf;
  readonly backend: BackendInfo;
  readonly profile: Profile;
}

/**
 * The first call of every notebook and CLI command: resolve the profile (MIA_PROFILE, its tasks
 * from MIA_TASKS when set), select the backend (MIA_BACKEND), print the banner line.
 */
export async function init(options: { quiet?: boolean; profile?: string; tasks?: string | readonly string[] } = {}): Promise<Session> {
  // A notebook's parameters cell: a profile or task list given here wins over MIA_PROFILE / MIA_TASKS
  // (and is put in the environment, so every later call in the session resolves the same profile).
  if (options.profile !== undefined && options.profile.trim() !== "") process.env.MIA_PROFILE = options.profile.trim();
  const tasks = typeof options.tasks === "string" ? options.tasks : options.tasks?.join(",");
  if (tasks !== undefined && tasks.trim() !== "") process.env.MIA_TASKS = tasks.trim();
  const profile = resolveProfile();
  const backend = await initBackend();
  if (!options.quiet) console.log(banner(backend, profile));
  return { tf, backend, profile };
}
export * from "./engine";
