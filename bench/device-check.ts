/**
 * The backend a device machine gets, as one JSON line: selection (MIA_BACKEND honoured), the
 * self-check, the WebGPU adapter when webgpu was chosen, and every candidate passed over with the
 * reason. Loads no data, plotting or CLI module, so the device bundle stays small.
 *   node dist/bench/device-check.js
 */
import { selectBackend, webgpuAdapter } from "../src/backend";

selectBackend()
  .then((info) => console.log(JSON.stringify({ ...info, selfCheck: "passed", adapter: info.id === "webgpu" ? webgpuAdapter() : undefined })))
  .catch((e: Error) => {
    console.log(JSON.stringify({ error: e.message }));
    process.exitCode = 1;
  });
