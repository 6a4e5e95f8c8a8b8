#!/usr/bin/env bash
# Issue #19's device check, one call on a lent GPU machine (about 6 minutes; budget 15 with the start):
#   prepared here:  bash scripts/device-bundle.sh   (build/device/mia-device.tar.xz, rehearsed)
#                   the Vulkan loader as .debs in .gl/ (see the device tool's README: apt-get download libvulkan1 ...)
#   device run:     carry [".gl", "build/device"], command: bash bench/device-webgpu.sh, timeout_s 560
# Writes $OUT/device.jsonl (one JSON line per measurement) and $OUT/log.txt; copy them to
# bench/results/ and the README afterwards. Every step has its own time limit and the script goes
# on after a failure, so one broken step still leaves the others' numbers.
set -uo pipefail
OUT="${OUT:-/tmp/mia-out}"; mkdir -p "$OUT"
log="$OUT/log.txt"; jl="$OUT/device.jsonl"; : >"$jl"
step() { local t="$1"; shift; echo "== $* (limit ${t}s)" | tee -a "$log"; timeout "$t" "$@" 2>>"$log" | tee -a "$jl" "$log"; echo "   exit ${PIPESTATUS[0]}" | tee -a "$log"; }

# The Vulkan loader (carried .debs) and NVIDIA's ICD from the driver mount.
if ls .gl/*.deb >/dev/null 2>&1; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd" __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; ldconfig -p | grep -E "libvulkan|libEGL_nvidia|libGLX_nvidia" ; ls /dev/dri /dev/nvidia* 2>&1; echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"; } >>"$log" 2>&1

W=/tmp/mia; rm -rf "$W"; mkdir -p /tmp
tar -C /tmp -xJf build/device/mia-device.tar.xz || { echo "no bundle: run scripts/device-bundle.sh here first" | tee -a "$log"; exit 1; }
export PATH="$W/bin:$PATH"
cd "$W/app"

# 1. Selection and self-check: automatic (must pick webgpu on a hardware adapter), then forced.
step 60 node dist/bench/device-check.js
MIA_BACKEND=webgpu step 60 node dist/bench/device-check.js
# 2. Training steps and PGD-20 on webgpu (images/s), against PyTorch CUDA on the same machine.
step 120 node dist/bench/train-step.js --backend webgpu --model resnet20-s2 --size 64 --batch 64 --seconds 15
step 150 node dist/bench/train-step.js --backend webgpu --model resnet50 --size 224 --batch 32 --seconds 20
step 60 python3 bench/torch_ref.py --device cuda --model resnet20-s2 --size 64 --batch 64 --seconds 10
step 90 python3 bench/torch_ref.py --device cuda --model resnet50 --size 224 --batch 32 --seconds 15
# 3. A short run of the paper profile's model, input and recipe through the real trainer.
MIA_BACKEND=webgpu step 150 node dist/bench/device-train.js --profile paper --train 512 --epochs 2
echo "done $(date -u)" | tee -a "$log"
