// Convolutions for tfjs-backend-wasm tensors, computed by oneDNN (Debian's libdnnl).
//
// Why: XNNPACK in wasm runs a 3x3 convolution at ~26 GFLOP/s per core (128-bit SIMD, no FMA);
// oneDNN's JIT kernels use the CPU's AVX2/AVX-512 and FMA. The tensors stay where tfjs keeps
// them: each function takes Float32Array views on the wasm heap (no copies) in tfjs' layouts,
// activations NHWC and filters HWIO. Layout "auto" (the default) keeps activations NHWC, in
// place, where oneDNN runs the same kernel on NHWC as on the blocked layout it would pick itself
// and that kernel, checked once per geometry (any batch size) on this CPU, gets the same numbers.
// The reorders in and out of nChw8c cost a quarter of a one-thread ResNet-20 step's convolution
// time on a 2-core AVX2 EPYC (2026-12-08). oneDNN 2.6.3's jit_1x1:avx2 backward-weights pass on
// NHWC is wrong for some strided 1x1 geometries and inputs (found by test/wasm-kernels.test.ts), so
// strided 1x1 convolutions always reorder, as does everything with setLayout(1).
//
// JS calls: forward(x, w, y, p), backwardData(dy, w, dx, p), backwardWeights(x, dy, dw, p),
// where p = Int32Array [N, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR]
// (dilations as in tfjs: 1 = none). setThreads(n) sets the calling thread's OpenMP team.
// setLayout(m), per thread: 0 auto, 1 blocked (oneDNN's choice, reordered).
// convLayout(p, kind) names what a geometry runs on: "nhwc jit:avx2", "blocked jit:avx2", and
// "blocked jit_1x1:avx2 (nhwc differed)" where the check refused the in-place path.
// Two memory-bound per-channel loops that the wasm backend runs with scalar code, for batch norm:
// affineChannels(x, a, b, y): y = x * a[c] + b[c]; sumLeading(x, out, scale): out[c] = scale *
// sum over rows of x viewed as [M, C]. binary(op, a, b, out, c): elementwise +, -, *, / where
// each operand is full-size, a per-channel vector (length c) or a scalar. Batch norm in training:
// bnStats(x, mean, variance) and bnBackward(x, dy, mean, variance, gamma, eps, dx, dgamma, dbeta).
// The optimizer: adamStep(value, m, v, g, newValue, newM, newV, k), bit-identical to tfjs' Adam.
#include <node_api.h>
#include <omp.h>
#include <dnnl.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <algorithm>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

enum Kind { FWD = 0, BWD_DATA = 1, BWD_WEIGHTS = 2 };

struct Geometry {
  int n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
};

struct Entry {
  memory::desc src, wei, dst;  // the layouts the primitive runs on
  primitive prim;
  std::string impl;            // oneDNN's implementation name, e.g. "jit:avx2"
  bool nhwc;                   // activations used in place (no reorders)
  bool refused = false;        // auto: the in-place path gave other numbers, so not used
};

enum Layout { AUTO = 0, BLOCKED = 1 };

// One engine, stream, layout setting and primitive cache per thread: worker_threads call concurrently.
struct ThreadState {
  engine eng{engine::kind::cpu, 0};
  stream strm{eng};
  Layout layout = AUTO;
  std::unordered_map<std::string, std::shared_ptr<Entry>> cache;
  // auto's verdict per geometry (batch size left out) and pass: NHWC gave the blocked numbers.
  std::unordered_map<std::string, bool> checked;
};
thread_local std::unique_ptr<ThreadState> tls;
ThreadState& state() {
  if (!tls) tls.reset(new ThreadState());
  return *tls;
}

memory::dims srcDims(const Geometry& g) { return {g.n, g.ic, g.ih, g.iw}; }
memory::dims weiDims(const Geometry& g) { return {g.oc, g.ic, g.kh, g.kw}; }
memory::dims dstDims(const Geometry& g) { return {g.n, g.oc, g.oh, g.ow}; }

// Elements in each buffer of a geometry.
struct Sizes {
  size_t src, wei, dst;
};
Sizes sizesOf(const Geometry& g) {
  return {size_t(g.n) * g.ih * g.iw * g.ic, size_t(g.kh) * g.kw * g.ic * g.oc, size_t(g.n) * g.oh * g.ow * g.oc};
}

// A cache key: the geometry's bytes and the pass.
std::string keyOf(const Geometry& g, Kind kind) {
  std::string key(reinterpret_cast<const char*>(&g), sizeof g);
  key.push_back(static_cast<char>(kind));
  return key;
}

// A primitive for `kind` with activations in `act` (nhwc, or any: oneDNN's own choice) and
// weights in any; the primitive itself is made only when `make` is set (a JIT compile).
std::shared_ptr<Entry> describe(Kind kind, const Geometry& g, tag act, bool make) {
  ThreadState& st = state();
  const memory::dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1}, pl{g.pt, g.pl}, pr{g.pb, g.pr};
  const memory::desc src(srcDims(g), dt::f32, act), wei(weiDims(g), dt::f32, tag::any), dst(dstDims(g), dt::f32, act);
  auto fd = convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src, wei, dst, strides, dil, pl, pr);
  auto fpd = convolution_forward::primitive_desc(fd, st.eng);
  auto e = std::make_shared<Entry>();
  e->nhwc = act == tag::nhwc;
  if (kind == FWD) {
    e->src = fpd.src_desc(); e->wei = fpd.weights_desc(); e->dst = fpd.dst_desc(); e->impl = fpd.impl_info_str();
    if (make) e->prim = convolution_forward(fpd);
  } else if (kind == BWD_DATA) {
    auto bd = convolution_backward_data::desc(algorithm::convolution_direct, src, wei, dst, strides, dil, pl, pr);
    auto pd = convolution_backward_data::primitive_desc(bd, st.eng, fpd);
    e->src = pd.diff_src_desc(); e->wei = pd.weights_desc(); e->dst = pd.diff_dst_desc(); e->impl = pd.impl_info_str();
    if (make) e->prim = convolution_backward_data(pd);
  } else {
    auto bw = convolution_backward_weights::desc(algorithm::convolution_direct, src, wei, dst, strides, dil, pl, pr);
    auto pd = convolution_backward_weights::primitive_desc(bw, st.eng, fpd);
    e->src = pd.src_desc(); e->wei = pd.diff_weights_desc(); e->dst = pd.diff_dst_desc(); e->impl = pd.impl_info_str();
    if (make) e->prim = convolution_backward_weights(pd);
  }
  return e;
}

// Runs e on user buffers in tfjs layouts (src NHWC, weights HWIO, dst NHWC), reordering in and
// out where e's layouts differ from those.
void exec(const Entry& e, Kind kind, const Geometry& g, float* srcPtr, float* weiPtr, float* dstPtr) {
  ThreadState& st = state();
  memory uSrc({srcDims(g), dt::f32, tag::nhwc}, st.eng, srcPtr);
  memory uWei({weiDims(g), dt::f32, tag::hwio}, st.eng, weiPtr);
  memory uDst({dstDims(g), dt::f32, tag::nhwc}, st.eng, dstPtr);
  auto in = [&](memory& user, const memory::desc& want) {
    if (user.get_desc() == want) return user;
    memory m(want, st.eng);
    reorder(user, m).execute(st.strm, user, m);
    return m;
  };
  auto out = [&](memory& user, const memory::desc& want) { return user.get_desc() == want ? user : memory(want, st.eng); };
  if (kind == FWD) {
    memory s = in(uSrc, e.src), w = in(uWei, e.wei), d = out(uDst, e.dst);
    e.prim.execute(st.strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, d}});
    if (d != uDst) reorder(d, uDst).execute(st.strm, d, uDst);
  } else if (kind == BWD_DATA) {
    memory dd = in(uDst, e.dst), w = in(uWei, e.wei), ds = out(uSrc, e.src);
    e.prim.execute(st.strm, {{DNNL_ARG_DIFF_DST, dd}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, ds}});
    if (ds != uSrc) reorder(ds, uSrc).execute(st.strm, ds, uSrc);
  } else {
    memory s = in(uSrc, e.src), dd = in(uDst, e.dst), dw = out(uWei, e.wei);
    e.prim.execute(st.strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DIFF_DST, dd}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
    if (dw != uWei) reorder(dw, uWei).execute(st.strm, dw, uWei);
  }
  st.strm.wait();
}

// Whether two entries for the same pass give the same output on the same pseudo-random inputs, to
// float rounding: |a - b| <= 1e-3 * (1 + max|a|). A wrong index (what this guards against, on CPUs
// and geometries the tests never ran) is off by the size of the values themselves; a different
// summation order by ~1e-6 of them. Once per geometry, with buffers of its real size.
bool sameNumbers(const Entry& a, const Entry& b, Kind kind, const Geometry& g) {
  const Sizes n = sizesOf(g);
  std::vector<float> src(n.src), wei(n.wei), dst(n.dst);
  uint32_t r = 12345;
  auto fill = [&](std::vector<float>& v) {
    for (float& x : v) {
      r = r * 1664525u + 1013904223u;
      x = float(r >> 8) / float(1u << 24) * 2.0f - 1.0f;
    }
  };
  fill(src); fill(wei); fill(dst);
  std::vector<float> src2(src), wei2(wei), dst2(dst);
  exec(a, kind, g, src.data(), wei.data(), dst.data());
  exec(b, kind, g, src2.data(), wei2.data(), dst2.data());
  const std::vector<float>& x = kind == FWD ? dst : kind == BWD_DATA ? src : wei;
  const std::vector<float>& y = kind == FWD ? dst2 : kind == BWD_DATA ? src2 : wei2;
  float scale = 0;
  for (float v : x) scale = std::max(scale, std::fabs(v));
  const float tol = 1e-3f * (1 + scale);
  for (size_t i = 0; i < x.size(); i++)
    if (!(std::fabs(x[i] - y[i]) <= tol)) return false;
  return true;
}

std::shared_ptr<Entry> entryFor(Kind kind, const Geometry& g) {
  ThreadState& st = state();
  std::string key = keyOf(g, kind);
  key.push_back(static_cast<char>(st.layout));
  auto it = st.cache.find(key);
  if (it != st.cache.end()) return it->second;
  // Strided 1x1 convolutions always reorder: oneDNN 2.6.3's AVX2 backward-weights pass for them
  // on NHWC gave wrong weight gradients for some inputs and not others (1-4 input channels), so
  // no one-off check can clear it. They are a ResNet's projection shortcuts: a few % of a step.
  const bool strided1x1 = g.kh == 1 && g.kw == 1 && (g.sh > 1 || g.sw > 1);
  std::shared_ptr<Entry> e;
  if (st.layout == AUTO && !strided1x1) {
    // NHWC in place when oneDNN has the same implementation for it as for its own layout (a
    // slower family, gemm or ref, keeps the reorders) and that implementation gave the blocked
    // path's numbers on this CPU for this geometry at some batch size. The numeric check runs
    // once per geometry, not per batch size: an attack sweep's shrinking batches would otherwise
    // repeat it (~0.3 s for a ResNet-20 layer set at batch 64, a training step's worth).
    Geometry anyBatch = g;
    anyBatch.n = 0;
    const std::string vkey = keyOf(anyBatch, kind);
    std::shared_ptr<Entry> plain, blocked;
    try {
      plain = describe(kind, g, tag::nhwc, false);
    } catch (const dnnl::error&) {
      plain = nullptr;  // no implementation takes NHWC for this geometry
    }
    blocked = describe(kind, g, tag::any, false);
    if (plain && plain->impl == blocked->impl) {
      auto v = st.checked.find(vkey);
      if (v == st.checked.end()) {
        blocked = describe(kind, g, tag::any, true);
        plain = describe(kind, g, tag::nhwc, true);
        v = st.checked.emplace(vkey, sameNumbers(*blocked, *plain, kind, g)).first;
        e = v->second ? plain : blocked;
      } else {
        e = describe(kind, g, v->second ? tag::nhwc : tag::any, true);
      }
      e->refused = !v->second;
    }
  }
  if (!e) e = describe(kind, g, tag::any, true);
  st.cache.emplace(key, e);
  return e;
}

// Run `kind` on user buffers in tfjs layouts (src NHWC, weights HWIO, dst NHWC).
void run(Kind kind, const Geometry& g, float* srcPtr, float* weiPtr, float* dstPtr) {
  exec(*entryFor(kind, g), kind, g, srcPtr, weiPtr, dstPtr);
}

napi_value throwError(napi_env env, const std::string& msg) {
  napi_throw_error(env, nullptr, msg.c_str());
  return nullptr;
}

// A Float32Array's data pointer and length (in elements), or false.
bool floats(napi_env env, napi_value v, float** data, size_t* length) {
  napi_typedarray_type type;
  void* raw;
  napi_value buf;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, &raw, &buf, &offset) != napi_ok || type != napi_float32_array) return false;
  *data = static_cast<float*>(raw);
  return true;
}

// The geometry vector p (an Int32Array of 17) into g; false when v is not one.
bool geometryArg(napi_env env, napi_value v, Geometry* g) {
  napi_typedarray_type type;
  size_t length, offset;
  void* raw;
  napi_value buf;
  if (napi_get_typedarray_info(env, v, &type, &length, &raw, &buf, &offset) != napi_ok || type != napi_int32_array || length != 17) return false;
  std::memcpy(g, raw, sizeof *g);
  return true;
}

// args: a, b, c (Float32Array), p (Int32Array of 17): the buffers in the order the kind names them.
napi_value conv(napi_env env, napi_callback_info info, Kind kind) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return throwError(env, "mia_dnnl: expected (a, b, c, params)");
  float* buf[3];
  size_t len[3];
  for (int i = 0; i < 3; i++)
    if (!floats(env, argv[i], &buf[i], &len[i])) return throwError(env, "mia_dnnl: arguments 1-3 must be Float32Arrays");
  Geometry g;
  if (!geometryArg(env, argv[3], &g)) return throwError(env, "mia_dnnl: params must be an Int32Array of 17");
  const Sizes n = sizesOf(g);
  // Buffer order per kind: FWD (x, w, y), BWD_DATA (dy, w, dx), BWD_WEIGHTS (x, dy, dw).
  float *src, *wei, *dst;
  size_t lSrc, lWei, lDst;
  if (kind == FWD) { src = buf[0]; lSrc = len[0]; wei = buf[1]; lWei = len[1]; dst = buf[2]; lDst = len[2]; }
  else if (kind == BWD_DATA) { dst = buf[0]; lDst = len[0]; wei = buf[1]; lWei = len[1]; src = buf[2]; lSrc = len[2]; }
  else { src = buf[0]; lSrc = len[0]; dst = buf[1]; lDst = len[1]; wei = buf[2]; lWei = len[2]; }
  if (lSrc != n.src || lWei != n.wei || lDst != n.dst) return throwError(env, "mia_dnnl: buffer sizes do not match the geometry");
  try {
    run(kind, g, src, wei, dst);
  } catch (const dnnl::error& e) {
    return throwError(env, std::string("mia_dnnl: oneDNN: ") + e.what());
  } catch (const std::exception& e) {
    return throwError(env, std::string("mia_dnnl: ") + e.what());
  }
  return nullptr;
}

napi_value Forward(napi_env env, napi_callback_info info) { return conv(env, info, FWD); }
napi_value BackwardData(napi_env env, napi_callback_info info) { return conv(env, info, BWD_DATA); }
napi_value BackwardWeights(napi_env env, napi_callback_info info) { return conv(env, info, BWD_WEIGHTS); }

// affineChannels(x, a, b, y), C = a.length: y[m, c] = x[m, c] * a[c] + b[c].
napi_value AffineChannels(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *a, *b, *y;
  size_t nx, na, nb, ny;
  if (argc != 4 || !floats(env, argv[0], &x, &nx) || !floats(env, argv[1], &a, &na) || !floats(env, argv[2], &b, &nb) || !floats(env, argv[3], &y, &ny))
    return throwError(env, "mia_dnnl: affineChannels(x, a, b, y) takes four Float32Arrays");
  if (na == 0 || nb != na || ny != nx || nx % na != 0) return throwError(env, "mia_dnnl: affineChannels: sizes do not match");
  const size_t c = na, m = nx / na;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < m; i++) {
    const float* xi = x + i * c;
    float* yi = y + i * c;
    for (size_t k = 0; k < c; k++) yi[k] = xi[k] * a[k] + b[k];
  }
  return nullptr;
}

// Per-channel column sums of f(r, k) over the rows of an [M, C] view: float blocks of 64 rows
// (vectorised across channels), blocks in double, so M in the millions stays exact to float; one
// thread, so the result does not depend on the thread count. F adds row r's NS terms into acc:
// term s of channel k at acc[s * C + k].
template <int NS, typename F>
void columnSums(size_t m, size_t c, F f, std::vector<double>* total) {
  const size_t block = 64;
  for (int s = 0; s < NS; s++) total[s].assign(c, 0.0);
  std::vector<float> acc(NS * c);
  for (size_t r0 = 0; r0 < m; r0 += block) {
    const size_t r1 = std::min(m, r0 + block);
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (size_t r = r0; r < r1; r++) f(r, acc.data());
    for (int s = 0; s < NS; s++)
      for (size_t k = 0; k < c; k++) total[s][k] += acc[s * c + k];
  }
}

// The plain column sums of x viewed as [M, C], into t[0].
void sumRows(const float* x, size_t m, size_t c, std::vector<double>* t) {
  columnSums<1>(m, c, [&](size_t r, float* acc) { const float* xr = x + r * c; for (size_t k = 0; k < c; k++) acc[k] += xr[k]; }, t);
}

// sumLeading(x, out, scale), C = out.length: out[c] = scale * sum_m x[m, c], summed as columnSums does.
napi_value SumLeading(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *out;
  size_t nx, nc;
  double scale;
  if (argc != 3 || !floats(env, argv[0], &x, &nx) || !floats(env, argv[1], &out, &nc) || napi_get_value_double(env, argv[2], &scale) != napi_ok)
    return throwError(env, "mia_dnnl: sumLeading(x, out, scale) takes two Float32Arrays and a number");
  if (nc == 0 || nx % nc != 0) return throwError(env, "mia_dnnl: sumLeading: x's size is not a multiple of out's");
  const size_t c = nc, m = nx / nc;
  std::vector<double> t[1];
  sumRows(x, m, c, t);
  for (size_t k = 0; k < c; k++) out[k] = static_cast<float>(t[0][k] * scale);
  return nullptr;
}

// bnStats(x, mean, variance), C = mean.length: batch norm's training statistics of x viewed as
// [M, C], the mean and the biased variance, in two passes (the mean, then the squared deviations
// from it: no cancellation as with E[x^2] - mean^2).
napi_value BnStats(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *mean, *var;
  size_t nx, nm, nv;
  if (argc != 3 || !floats(env, argv[0], &x, &nx) || !floats(env, argv[1], &mean, &nm) || !floats(env, argv[2], &var, &nv))
    return throwError(env, "mia_dnnl: bnStats(x, mean, variance) takes three Float32Arrays");
  if (nm == 0 || nv != nm || nx == 0 || nx % nm != 0) return throwError(env, "mia_dnnl: bnStats: sizes do not match");
  const size_t c = nm, m = nx / nm;
  std::vector<double> t[1];
  sumRows(x, m, c, t);
  for (size_t k = 0; k < c; k++) mean[k] = static_cast<float>(t[0][k] / double(m));
  columnSums<1>(m, c, [&](size_t r, float* acc) {
    const float* xr = x + r * c;
    for (size_t k = 0; k < c; k++) { const float d = xr[k] - mean[k]; acc[k] += d * d; }
  }, t);
  for (size_t k = 0; k < c; k++) var[k] = static_cast<float>(t[0][k] / double(m));
  return nullptr;
}

// bnBackward(x, dy, mean, variance, gamma, eps, dx, dgamma, dbeta), C = mean.length: the gradient
// of training-mode batch norm y = gamma * (x - mean) / sigma + beta, sigma = sqrt(variance + eps),
// with mean and variance the batch's own (they depend on x). With S1 = sum(dy), S2 = sum(dy * (x -
// mean)) per channel over the M rows and k = gamma / sigma:
//   dx = k * dy - k * S2 / (sigma^2 M) * (x - mean) - k * S1 / M,  dgamma = S2 / sigma,  dbeta = S1
// One pass for the sums, one for dx (an affine map of dy and x per channel).
napi_value BnBackward(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *dy, *mean, *var, *gamma, *dx, *dgamma, *dbeta;
  size_t nx, ndy, nm, nv, ng, ndx, ndg, ndb;
  double eps;
  if (argc != 9 || !floats(env, argv[0], &x, &nx) || !floats(env, argv[1], &dy, &ndy) || !floats(env, argv[2], &mean, &nm) ||
      !floats(env, argv[3], &var, &nv) || !floats(env, argv[4], &gamma, &ng) || napi_get_value_double(env, argv[5], &eps) != napi_ok ||
      !floats(env, argv[6], &dx, &ndx) || !floats(env, argv[7], &dgamma, &ndg) || !floats(env, argv[8], &dbeta, &ndb))
    return throwError(env, "mia_dnnl: bnBackward(x, dy, mean, variance, gamma, eps, dx, dgamma, dbeta) takes five Float32Arrays, a number and three Float32Arrays");
  if (nm == 0 || nx == 0 || nx % nm != 0 || ndy != nx || ndx != nx || nv != nm || ng != nm || ndg != nm || ndb != nm)
    return throwError(env, "mia_dnnl: bnBackward: sizes do not match");
  const size_t c = nm, m = nx / nm;
  std::vector<double> t[2];
  columnSums<2>(m, c, [&](size_t r, float* acc) {
    const float* xr = x + r * c;
    const float* gr = dy + r * c;
    for (size_t k = 0; k < c; k++) { acc[k] += gr[k]; acc[c + k] += gr[k] * (xr[k] - mean[k]); }
  }, t);
  std::vector<float> a(c), b(c), d(c);
  for (size_t k = 0; k < c; k++) {
    const double inv = 1.0 / std::sqrt(double(var[k]) + eps);
    const double kk = double(gamma[k]) * inv;
    const double bk = -kk * t[1][k] * inv * inv / double(m);
    a[k] = static_cast<float>(kk);
    b[k] = static_cast<float>(bk);
    d[k] = static_cast<float>(-bk * double(mean[k]) - kk * t[0][k] / double(m));
    dgamma[k] = static_cast<float>(t[1][k] * inv);
    dbeta[k] = static_cast<float>(t[0][k]);
  }
#pragma omp parallel for schedule(static)
  for (size_t r = 0; r < m; r++) {
    const float* xr = x + r * c;
    const float* gr = dy + r * c;
    float* o = dx + r * c;
    for (size_t k = 0; k < c; k++) o[k] = a[k] * gr[k] + b[k] * xr[k] + d[k];
  }
  return nullptr;
}

// adamStep(value, m, v, g, newValue, newM, newV, k): one step of tfjs' Adam on one variable, the
// same float32 operations in the same order as tfjs-core's AdamOptimizer runs them as separate
// kernels, so the result is the same to the bit. k = Float32Array [beta1, 1 - beta1, beta2,
// 1 - beta2, 1 - accBeta1, 1 - accBeta2, epsilon, -learningRate] (each the float32 tfjs uses):
//   m' = m * beta1 + g * (1 - beta1);  v' = v * beta2 + g^2 * (1 - beta2)
//   value' = (m' / (1 - accBeta1)) / (sqrt(v' / (1 - accBeta2)) + epsilon) * -lr + value
// No fused multiply-adds: each product and sum is rounded on its own, as tfjs' kernels round it.
__attribute__((optimize("fp-contract=off")))
void adamLoop(const float* value, const float* m, const float* v, const float* g, float* nvalue, float* nm, float* nv, size_t n, const float* k) {
  const float b1 = k[0], omb1 = k[1], b2 = k[2], omb2 = k[3], c1 = k[4], c2 = k[5], eps = k[6], nlr = k[7];
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float a = m[i] * b1;
    const float b = gi * omb1;
    const float mi = a + b;
    const float sq = gi * gi;
    const float c = v[i] * b2;
    const float d = sq * omb2;
    const float vi = c + d;
    const float bm = mi / c1;
    const float bv = vi / c2;
    const float den = std::sqrt(bv) + eps;
    const float step = (bm / den) * nlr;
    nm[i] = mi;
    nv[i] = vi;
    nvalue[i] = step + value[i];
  }
}

napi_value AdamStep(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* buf[8];
  size_t len[8];
  if (argc != 8) return throwError(env, "mia_dnnl: adamStep(value, m, v, g, newValue, newM, newV, k) takes eight Float32Arrays");
  for (int i = 0; i < 8; i++)
    if (!floats(env, argv[i], &buf[i], &len[i])) return throwError(env, "mia_dnnl: adamStep(value, m, v, g, newValue, newM, newV, k) takes eight Float32Arrays");
  const size_t n = len[0];
  for (int i = 1; i < 7; i++)
    if (len[i] != n) return throwError(env, "mia_dnnl: adamStep: value, m, v, g and the three outputs must have the same size");
  if (len[7] != 8) return throwError(env, "mia_dnnl: adamStep: k must hold 8 constants");
  adamLoop(buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], n, buf[7]);
  return nullptr;
}

// binary(op, a, b, out, c): out = a op b (op 0 add, 1 sub, 2 mul, 3 div) over out viewed as
// [M, c]; an operand of out's size is read per element, of size c per channel, of size 1 as a scalar.
template <int OP>
inline float apply(float x, float y) {
  if constexpr (OP == 0) return x + y;
  else if constexpr (OP == 1) return x - y;
  else if constexpr (OP == 2) return x * y;
  else return x / y;
}
template <int OP>
void binaryLoop(const float* a, size_t na, const float* b, size_t nb, float* out, size_t n, size_t c) {
  if (na == n && nb == n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = apply<OP>(a[i], b[i]);
    return;
  }
  const size_t m = n / c;
  // Row r of an operand: full-size moves by c per row, a channel vector or scalar stays put.
  const size_t sa = na == n ? c : 0, sb = nb == n ? c : 0;
  const bool scalarA = na == 1, scalarB = nb == 1;
#pragma omp parallel for schedule(static)
  for (size_t r = 0; r < m; r++) {
    const float* ar = a + r * sa;
    const float* br = b + r * sb;
    float* o = out + r * c;
    if (scalarA) { const float x = a[0]; for (size_t k = 0; k < c; k++) o[k] = apply<OP>(x, br[k]); }
    else if (scalarB) { const float y = b[0]; for (size_t k = 0; k < c; k++) o[k] = apply<OP>(ar[k], y); }
    else for (size_t k = 0; k < c; k++) o[k] = apply<OP>(ar[k], br[k]);
  }
}

napi_value Binary(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t op = -1;
  uint32_t c = 0;
  float *a, *b, *out;
  size_t na, nb, n;
  if (argc != 5 || napi_get_value_int32(env, argv[0], &op) != napi_ok || !floats(env, argv[1], &a, &na) || !floats(env, argv[2], &b, &nb) ||
      !floats(env, argv[3], &out, &n) || napi_get_value_uint32(env, argv[4], &c) != napi_ok)
    return throwError(env, "mia_dnnl: binary(op, a, b, out, c) takes an op, three Float32Arrays and a channel count");
  const auto ok = [&](size_t k) { return k == n || k == c || k == 1; };
  if (op < 0 || op > 3 || c == 0 || n % c != 0 || !ok(na) || !ok(nb)) return throwError(env, "mia_dnnl: binary: sizes do not broadcast per channel");
  // A length-c operand with c == n is full-size; with c == 1 a scalar: both cases are covered above.
  switch (op) {
    case 0: binaryLoop<0>(a, na, b, nb, out, n, c); break;
    case 1: binaryLoop<1>(a, na, b, nb, out, n, c); break;
    case 2: binaryLoop<2>(a, na, b, nb, out, n, c); break;
    default: binaryLoop<3>(a, na, b, nb, out, n, c); break;
  }
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t n = 0;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) return throwError(env, "mia_dnnl: setThreads(n >= 1)");
  omp_set_num_threads(n);
  return nullptr;
}

napi_value SetLayout(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t m = -1;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &m) != napi_ok || m < AUTO || m > BLOCKED)
    return throwError(env, "mia_dnnl: setLayout(0 auto | 1 blocked)");
  state().layout = static_cast<Layout>(m);
  return nullptr;
}

// convLayout(p, kind): "<nhwc|blocked> <implementation>" for a geometry and kind (0 forward,
// 1 backward data, 2 backward weights) under this thread's layout setting.
napi_value ConvLayout(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Geometry g;
  int32_t kind = -1;
  if (argc != 2 || !geometryArg(env, argv[0], &g) || napi_get_value_int32(env, argv[1], &kind) != napi_ok || kind < FWD || kind > BWD_WEIGHTS)
    return throwError(env, "mia_dnnl: convLayout(params Int32Array of 17, kind 0-2)");
  std::string s;
  try {
    auto e = entryFor(static_cast<Kind>(kind), g);
    s = std::string(e->nhwc ? "nhwc " : "blocked ") + e->impl + (e->refused ? " (nhwc differed)" : "");
  } catch (const dnnl::error& err) {
    return throwError(env, std::string("mia_dnnl: oneDNN: ") + err.what());
  }
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  const char* isa = "sse41";
  switch (dnnl::get_effective_cpu_isa()) {
    case cpu_isa::avx: isa = "avx"; break;
    case cpu_isa::avx2: case cpu_isa::avx2_vnni: isa = "avx2"; break;
    case cpu_isa::avx512_core: case cpu_isa::avx512_core_vnni: case cpu_isa::avx512_core_bf16: case cpu_isa::avx512_core_amx: isa = "avx512"; break;
    default: break;
  }
  std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) + " " + isa;
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"forward", nullptr, Forward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"backwardData", nullptr, BackwardData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"backwardWeights", nullptr, BackwardWeights, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"affineChannels", nullptr, AffineChannels, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumLeading", nullptr, SumLeading, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnStats", nullptr, BnStats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnBackward", nullptr, BnBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamStep", nullptr, AdamStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setLayout", nullptr, SetLayout, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convLayout", nullptr, ConvLayout, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof *props, props);
  return exports;
}
