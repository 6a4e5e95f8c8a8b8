#!/usr/bin/env bash
# Packs what a lent GPU machine needs for bench/device-webgpu.sh into build/device/mia-device.tar.xz
# (the device tool carries build/device; that machine has no Node and reaches no registry): this
# Node binary, dist/, and only the node_modules files that the device commands load (traced on
# Mesa's software adapter here), with Dawn's linux-x64 binary. Then it rehearses the device script
# from the unpacked bundle, away from this checkout's node_modules.
#   bash scripts/device-bundle.sh        (after make setup)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { echo "[device-bundle] $*"; }
[ -d node_modules/webgpu ] && [ -f dist/bench/device-check.js ] || { echo "run make setup first" >&2; exit 1; }
out=build/device
stage="$(mktemp -d)"
trap '[ -n "${KEEP_STAGE:-}" ] || rm -rf "$stage"' EXIT
rm -rf "$out"; mkdir -p "$out"

trace="$stage/trace.txt"
export MIA_TRACE_FILE="$trace" MIA_WEBGPU_BACKEND=opengles EGL_PLATFORM=surfaceless
run() { node -r ./scripts/trace-modules.cjs "$@" >/dev/null 2>&1 || { echo "traced command failed: node $*" >&2; exit 1; }; }
say "tracing the device commands on the software adapter"
MIA_BACKEND=webgpu run dist/bench/device-check.js
MIA_BACKEND=wasm run dist/bench/device-check.js
run dist/bench/train-step.js --backend webgpu --software --model resnet-tiny --size 16 --batch 2 --seconds 0.1 --warmup 0
MIA_BACKEND=webgpu run dist/bench/device-train.js --profile smoke --train 16 --epochs 1

app="$stage/mia/app"
mkdir -p "$app" "$stage/mia/bin"
cp "$(command -v node)" "$stage/mia/bin/node"
cp -r dist package.json "$app/"
mkdir -p "$app/bench" && cp bench/*.py bench/device-webgpu.sh "$app/bench/"
# Every traced file inside node_modules, and the package.json of each package it belongs to.
grep "^$root/node_modules/" "$trace" | sort -u | while read -r f; do
  rel="${f#$root/}"
  mkdir -p "$app/$(dirname "$rel")" && cp "$f" "$app/$rel"
  pkg="$(dirname "$rel")"
  while [ "$pkg" != "node_modules" ] && [ ! -f "$pkg/package.json" ]; do pkg="$(dirname "$pkg")"; done
  [ -f "$pkg/package.json" ] && [ ! -f "$app/$pkg/package.json" ] && cp "$pkg/package.json" "$app/$pkg/package.json"
done
# sharp's native part (the data loader imports it): its addon and the libvips it dlopens.
for d in node_modules/@img/sharp-linux-x64 node_modules/@img/sharp-libvips-linux-x64; do
  [ -d "$d" ] && mkdir -p "$app/$d" && cp -r "$d/." "$app/$d/"
done
# The wasm backend's .wasm files (loaded by path, not require) and the webgpu package (an ES module
# with a native binary: neither shows in require.cache).
for w in node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm; do cp "$w" "$app/$w"; done
mkdir -p "$app/node_modules/webgpu/dist/linux-x64"
cp node_modules/webgpu/{package.json,index.js} "$app/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$app/node_modules/webgpu/dist/linux-x64/"
say "packing $(du -sh "$stage/mia" | cut -f1) (xz)"
tar -C "$stage" -cf - mia | xz -T0 -6 > "$out/mia-device.tar.xz"
say "$out/mia-device.tar.xz: $(du -h "$out/mia-device.tar.xz" | cut -f1)"

say "rehearsal: the bundle's own node and modules, on the software adapter"
rh="$stage/rehearsal"; mkdir -p "$rh"
tar -C "$rh" -xJf "$out/mia-device.tar.xz"
( cd "$rh/mia/app" && unset MIA_TRACE_FILE && PATH="$rh/mia/bin:/usr/bin:/bin" NODE_PATH= \
    MIA_BACKEND=webgpu "$rh/mia/bin/node" dist/bench/device-check.js ) | grep -q '"selfCheck":"passed"' \
  || { echo "rehearsal failed: the bundle cannot select webgpu" >&2; exit 1; }
( cd "$rh/mia/app" && unset MIA_TRACE_FILE && MIA_BACKEND=webgpu "$rh/mia/bin/node" dist/bench/device-train.js --profile smoke --train 16 --epochs 1 ) | grep -q '"testAccuracy"' \
  || { echo "rehearsal failed: the bundle cannot train" >&2; exit 1; }
say "rehearsal passed; carry build/device (and .gl, see bench/device-webgpu.sh)"
