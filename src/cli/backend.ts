/** `mia backend`: which tfjs backend this machine gets, why the ones before it were passed over, and its self-check. */
import { banner, initBackend, webgpuAdapter } from "../backend";
import { parseCommand, profileOption } from "./usage";

const HELP = `Usage: mia backend [--profile P] [--json]

Selects the backend as every notebook and command does (MIA_BACKEND forces one;
MIA_WEBGPU_BACKEND picks Dawn's backend for webgpu), runs its self-check (a matMul, a conv2d and a
gradient against closed forms) and prints the banner, then each candidate passed over with the
reason, and the WebGPU adapter when webgpu was chosen.

Order: tfjs-node-gpu, webgpu (hardware adapter), tfjs-node, wasm, cpu.
Exit codes: 0 a backend works, 1 none does (or the forced one does not), 2 bad usage.`;

export async function runBackend(argv: string[]): Promise<void> {
  const v = parseCommand(argv, { profile: { type: "string" }, json: { type: "boolean" } }, HELP);
  if (!v) return;
  const profile = profileOption(v.profile);
  const info = await initBackend();
  const adapter = info.id === "webgpu" ? webgpuAdapter() : undefined;
  if (v.json) {
    console.log(JSON.stringify({ ...info, selfCheck: "passed", ...(adapter ? { adapter } : {}) }, null, 2));
    return;
  }
  console.log(banner(info, profile));
  console.log(`chosen: ${info.id} (tfjs backend '${info.backend}'), self-check passed`);
  for (const s of info.skipped) console.log(`passed over: ${s.id}: ${s.reason}`);
  if (adapter) console.log(`adapter: ${JSON.stringify(adapter)}`);
}
