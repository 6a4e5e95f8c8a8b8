// Preloaded with `node -r`: at exit, appends every CommonJS module file this process loaded to
// $MIA_TRACE_FILE (one path per line). scripts/device-bundle.sh packs exactly those.
const fs = require("node:fs");
process.on("exit", () => {
  const out = process.env.MIA_TRACE_FILE;
  if (out) fs.appendFileSync(out, Object.keys(require.cache).join("\n") + "\n");
});
