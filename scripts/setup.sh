#!/usr/bin/env bash
# Idempotent set-up behind `make setup`: Node packages, Debian's Jupyter, a project-local
# tslab kernelspec, and the compiled src/ that notebooks import. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- Node ------------------------------------------------------------------------------------
command -v node >/dev/null || die "Node.js is not installed. Install Node.js 20.9 or newer (e.g. 'apt-get install nodejs npm' or https://nodejs.org)."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=9)?0:1)' \
  || die "Node.js $(node --version) is too old: this project needs 20.9 or newer (sharp and tfjs require it)."

# npm ci when node_modules is missing or older than the lock file. The optional tfjs-node(-gpu)
# packages download libtensorflow in their install script; where that fails (no network, no
# CUDA) npm drops them and carries on, and src/backend falls back to wasm.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing Node packages (npm ci)"
  npm ci --no-fund --no-audit
else
  say "Node packages up to date"
fi

# --- Debian's Jupyter (nbclient/nbconvert drive the tslab kernel) -----------------------------
PY=/usr/bin/python3
jupyter_ok() { [ -x "$PY" ] && "$PY" -c 'import nbclient, nbconvert, ipykernel, jupyter_client' >/dev/null 2>&1; }
if ! jupyter_ok; then
  pkgs="jupyter-nbconvert python3-nbclient python3-ipykernel"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's Jupyter: $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
    jupyter_ok || die "apt-get installed $pkgs but '$PY -c \"import nbclient, nbconvert\"' still fails."
  else
    die "Debian's Jupyter is missing. Install it with:
    sudo apt-get install --no-install-recommends $pkgs
(the runner uses $PY, Debian's Python, not the first python3 on PATH)."
  fi
else
  say "Jupyter found ($PY: nbclient $("$PY" -c 'import nbclient; print(nbclient.__version__)'))"
fi

# --- Debian's Notebook UI (only `make notebook` needs it; the runner drives the kernel itself) ---
if ! command -v jupyter-notebook >/dev/null && ! command -v jupyter-lab >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's jupyter-notebook (the UI behind make notebook)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends jupyter-notebook >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends jupyter-notebook >/dev/null; } \
      || say "WARNING: apt-get install jupyter-notebook failed; make notebook will say how to install it"
  else
    say "no notebook UI (only make notebook needs one): sudo apt-get install jupyter-notebook"
  fi
fi

# --- Debian's h5py: the tests write Keras-layout .h5 weight files with it -------------------
if ! "$PY" -c "import h5py" 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's python3-h5py (test fixtures for the Keras weights reader)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends python3-h5py >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-h5py >/dev/null; }
  else
    say "python3-h5py is missing: the Keras weights tests will be skipped (sudo apt-get install python3-h5py)"
  fi
fi

# --- Mesa's EGL and OpenGL ES: the software WebGPU adapter the webgpu tests run on -------------
# Dawn (npm 'webgpu') reaches Mesa's llvmpipe through EGL (EGL_PLATFORM=surfaceless, no display).
mesa_ok() { ldconfig -p 2>/dev/null | grep -q "libEGL_mesa.so.0" && ldconfig -p 2>/dev/null | grep -q "libGLESv2.so.2"; }
if ! mesa_ok; then
  pkgs="libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Mesa's EGL/GLES (the software WebGPU adapter of the webgpu tests): $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends $pkgs >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $pkgs >/dev/null; } \
      || say "WARNING: apt-get install $pkgs failed; test/webgpu.test.js will fail (MIA_SKIP_WEBGPU=1 skips it)"
  else
    say "Mesa's EGL/GLES missing: the webgpu tests need them (sudo apt-get install $pkgs, or MIA_SKIP_WEBGPU=1)"
  fi
fi

# --- Debian's Chromium (static figure export and the real-browser test) ---------------------
# Driven by playwright-core with an explicit executable path; never a browser download.
if ! command -v chromium >/dev/null && [ -z "${MIA_CHROMIUM:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium (figure export)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    die "Debian's chromium is missing (needed to export figures). Install it with:
    sudo apt-get install --no-install-recommends chromium
or point MIA_CHROMIUM at a Chromium/Chrome binary."
  fi
else
  say "Chromium found ($(command -v chromium || echo "$MIA_CHROMIUM"))"
fi

# --- a font for the labels of the image figures (sharp renders their SVG text with it) --------
if ! { command -v fc-list >/dev/null && fc-list | grep -q "DejaVu Sans"; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's fonts-dejavu-core (labels of the image figures)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core fontconfig >/dev/null 2>&1 \
      || say "WARNING: apt-get install fonts-dejavu-core failed; image figures may render their labels in a fallback font"
  else
    say "no DejaVu Sans font: image-figure labels use a fallback font (sudo apt-get install fonts-dejavu-core)"
  fi
fi

# --- tslab kernelspec, project-local ---------------------------------------------------------
# Lives in .jupyter/ (gitignored), found through JUPYTER_PATH, so the user's own Jupyter
# configuration is never touched and the kernel always runs this checkout's tslab.
[ -x node_modules/.bin/tslab ] || die "node_modules/.bin/tslab is missing: run 'npm ci'."
kdir=.jupyter/kernels/tslab
mkdir -p "$kdir"
cat >"$kdir/kernel.json" <<JSON
{
  "argv": ["$root/node_modules/.bin/tslab", "kernel", "--config-path", "{connection_file}"],
  "display_name": "TypeScript (tslab, mia)",
  "language": "typescript"
}
JSON
say "tslab kernel registered in $root/$kdir (use JUPYTER_PATH=$root/.jupyter)"

# --- plotly.js beside the notebooks: a live Notebook session's figures load it from the server ---
mkdir -p notebooks/lib
if ! cmp -s node_modules/plotly.js-dist-min/plotly.min.js notebooks/lib/plotly.min.js; then
  cp node_modules/plotly.js-dist-min/plotly.min.js notebooks/lib/plotly.min.js
  say "plotly.js copied to notebooks/lib/ (served to live figures by make notebook)"
fi

# --- the oneDNN addon (optional: native convolutions and batch-norm loops for the wasm backend) --
# native/dnnl/mia_dnnl.cc over Debian's libdnnl-dev, built with g++ against Node's own headers into
# build/native/. Without it everything still works on XNNPACK, only slower; MIA_NATIVE=0 skips it.
addon=build/native/mia_dnnl.node
addon_src=native/dnnl/mia_dnnl.cc
node_inc="$(dirname "$(dirname "$(command -v node)")")/include/node"
[ -f "$node_inc/node_api.h" ] || node_inc=/usr/include/node
if [ "${MIA_NATIVE:-}" = 0 ]; then
  say "oneDNN addon skipped (MIA_NATIVE=0)"
else
  if [ ! -f /usr/include/oneapi/dnnl/dnnl.hpp ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's libdnnl-dev (oneDNN, for native convolutions)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends libdnnl-dev >/dev/null || say "WARNING: apt-get install libdnnl-dev failed; convolutions stay on XNNPACK"
  fi
  if [ ! -f /usr/include/oneapi/dnnl/dnnl.hpp ]; then
    say "oneDNN addon not built: libdnnl-dev is missing (sudo apt-get install libdnnl-dev makes training ~2.5x faster)"
  elif ! command -v g++ >/dev/null || [ ! -f "$node_inc/node_api.h" ]; then
    say "oneDNN addon not built: needs g++ and Node's headers ($node_inc/node_api.h)"
  elif [ -f "$addon" ] && [ "$addon" -nt "$addon_src" ]; then
    say "oneDNN addon up to date ($addon)"
  else
    say "building the oneDNN addon ($addon)"
    mkdir -p build/native
    if g++ -shared -fPIC -O3 -std=c++17 -fopenmp -I"$node_inc" "$addon_src" -ldnnl -o "$addon.tmp"; then
      mv "$addon.tmp" "$addon"
    else
      rm -f "$addon.tmp"
      say "WARNING: the oneDNN addon failed to build (see above); convolutions stay on XNNPACK"
    fi
  fi
fi

# --- compile src/ (notebooks import dist/, see README) ---------------------------------------
# From clean, so no compiled test or module outlives its deleted source; skipped when no source,
# its list, tsconfig.json or the installed packages changed since the last compile.
stamp=dist/.sources
sources=$( { find src test bench types -name '*.ts' -printf '%p %T@ %s\n' 2>/dev/null | sort; sha1sum tsconfig.json node_modules/.package-lock.json; } | sha1sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sources" ]; then
  say "compiled TypeScript up to date (dist/)"
else
  say "compiling TypeScript (tsc)"
  rm -rf dist
  node_modules/.bin/tsc -p tsconfig.json
  echo "$sources" >"$stamp"
fi
say "done"
