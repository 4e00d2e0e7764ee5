/*
 * mtlc's SIMD training kernels for tfjs-backend-wasm, in C-style C++ (templates only
 * to give the register tiles compile-time sizes).
 *
 * Built by scripts/build-wasm-kernels.ts with clang's wasm32 target and SIMD128 into
 * kernels.wasm, which imports tfjs-wasm's own linear memory ("env"."memory"): every pointer below
 * is an offset into that memory (a tensor's `memoryOffset`), so the kernels read and write tfjs's
 * tensors in place, with no copies. The module has no stack, no data segments and no globals of
 * its own in memory (the build refuses a binary that has any), so it cannot touch memory tfjs did
 * not hand it: scratch space is allocated by the caller as tfjs tensors.
 *
 * Layout: NHWC, float32. Filters [kh, kw, ci, co]. "Padded" buffers are zero-padded copies made
 * by the caller so the loops have no bounds checks.
 *
 * Reads may run up to 12 bytes past the end of an input row (the unused lanes of a channel tail);
 * the caller checks that every input has 16 bytes of memory after it. Writes are exact.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) extern "C" __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

/* Register tile shape of the convolution kernels: rows (filter rows or output positions) × vecs
 * vectors of 4 channels. Measured (bench/NOTES.md, bench/experiments/tile-variants.ts): 4 × 3
 * (12 accumulators plus operands) overflows V8's 16 SIMD registers; 2 × 3 is fastest where the
 * channels fill whole groups of 3 vectors (9–12, 21–24, ... channels), 4 × 2 elsewhere (16, 20,
 * 32 channels: no 1-vector remainder tile). The results are the same bits whatever the tile (each
 * output sums in the same order). -DTILE_ROWS=r -DTILE_VECS=v fixes a shape for the experiment. */
INLINE void tile_shape(int channels, int *rows, int *vecs) {
#if defined(TILE_ROWS) && defined(TILE_VECS)
  (void)channels;
  *rows = TILE_ROWS;
  *vecs = TILE_VECS;
#else
  int nvec = (channels + 3) / 4;
  *vecs = nvec % 3 == 0 ? 3 : 2;
  *rows = *vecs == 3 ? 2 : 4;
#endif
}

/* Stores the first n (1..4) lanes of v at p. */
INLINE void store_n(float *p, v128_t v, int n) {
  if (n == 4) {
    wasm_v128_store(p, v);
  } else if (n == 3) {
    wasm_v128_store64_lane(p, v, 0);
    wasm_v128_store32_lane(p + 2, v, 2);
  } else if (n == 2) {
    wasm_v128_store64_lane(p, v, 0);
  } else {
    wasm_v128_store32_lane(p, v, 0);
  }
}

/* The first n lanes of p, the others 0 (exact: reads n floats). */
INLINE v128_t load_n(const float *p, int n) {
  if (n == 4) return wasm_v128_load(p);
  if (n == 3) return wasm_v128_load32_lane(p + 2, wasm_v128_load64_zero(p), 2);
  if (n == 2) return wasm_v128_load64_zero(p);
  return wasm_v128_load32_zero(p);
}

/* ---------------------------------------------------------------------------------------------
 * Conv2DBackpropFilter
 *
 *   dw[i,j,c,o] = Σ_{b,oy,ox} xp[b, oy·sh + i·dh, ox·sw + j·dw, c] · dy[b,oy,ox,o]
 *
 * xp is the input zero-padded by the forward pass's padding (or the input itself when unpadded).
 * A tile is R ≤ 4 filter rows r = (i,j,c) by V ≤ 3 vectors of output channels: per position, R
 * scalar loads of x (splatted) and V vector loads of dy feed R·V multiply-adds. Partial sums are
 * kept per example in registers and added to dw once per example (two-level summation).
 * ------------------------------------------------------------------------------------------- */
template <int R, int V>
INLINE void dw_tile(const float *xp, const float *dy, float *dw, int wl, int r0, int c0,
                    int B, int Hp, int Wp, int CI, int OH, int OW, int CO, int KW, int SH, int SW, int DH, int DWd) {
  int off[R];
  _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
    int rr = r0 + r;
    int c = rr % CI;
    int ij = rr / CI;
    int i = ij / KW, j = ij % KW;
    off[r] = (i * DH * Wp + j * DWd) * CI + c;
  }
  v128_t tot[R][V];
  _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) tot[r][v] = wasm_f32x4_splat(0.0f);
  for (int b = 0; b < B; b++) {
    v128_t acc[R][V];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[r][v] = wasm_f32x4_splat(0.0f);
    for (int oy = 0; oy < OH; oy++) {
      const float *xrow = xp + ((long)(b * Hp + oy * SH) * Wp) * CI;
      const float *g = dy + ((long)(b * OH + oy) * OW) * CO + c0;
      for (int ox = 0; ox < OW; ox++, g += CO) {
        const float *xb = xrow + ox * SW * CI;
        v128_t gv[V];
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) gv[v] = wasm_v128_load(g + 4 * v);
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
          v128_t s = wasm_f32x4_splat(xb[off[r]]);
          _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(s, gv[v]));
        }
      }
    }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) tot[r][v] = wasm_f32x4_add(tot[r][v], acc[r][v]);
  }
  _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
    float *o = dw + (long)(r0 + r) * CO + c0;
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V - 1; v++) wasm_v128_store(o + 4 * v, tot[r][v]);
    store_n(o + 4 * (V - 1), tot[r][V - 1], wl);
  }
}

#define DW_TILE(R, V) dw_tile<R, V>(xp, dy, dw, wl, r0, c0, B, Hp, Wp, CI, OH, OW, CO, KW, SH, SW, DH, DWd)

EXPORT(conv2d_backprop_filter)
void conv2d_backprop_filter(const float *xp, int B, int Hp, int Wp, int CI, const float *dy, int OH, int OW, int CO,
                            int KH, int KW, int SH, int SW, int DH, int DWd, float *dw) {
  int rows = KH * KW * CI;
  int TR, TV;
  tile_shape(CO, &TR, &TV);
  for (int r0 = 0; r0 < rows; r0 += TR) {
    int R = rows - r0 < TR ? rows - r0 : TR;
    for (int c0 = 0; c0 < CO; c0 += 4 * TV) {
      int width = CO - c0 < 4 * TV ? CO - c0 : 4 * TV;
      int V = (width + 3) / 4;
      int wl = width - 4 * (V - 1);
      switch (R * 4 + V) {
        case 4 * 4 + 3: DW_TILE(4, 3); break;
        case 4 * 4 + 2: DW_TILE(4, 2); break;
        case 4 * 4 + 1: DW_TILE(4, 1); break;
        case 3 * 4 + 3: DW_TILE(3, 3); break;
        case 3 * 4 + 2: DW_TILE(3, 2); break;
        case 3 * 4 + 1: DW_TILE(3, 1); break;
        case 2 * 4 + 3: DW_TILE(2, 3); break;
        case 2 * 4 + 2: DW_TILE(2, 2); break;
        case 2 * 4 + 1: DW_TILE(2, 1); break;
        case 1 * 4 + 3: DW_TILE(1, 3); break;
        case 1 * 4 + 2: DW_TILE(1, 2); break;
        default: DW_TILE(1, 1); break;
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * Conv2D forward (FusedConv2D with a bias and a linear or relu activation):
 *
 *   out[b,oy,ox,o] = act(bias[o] + Σ_{i,j,c} xp[b, oy·sh + i·dh, ox·sw + j·dw, c] · w[i,j,c,o])
 *
 * xp zero-padded by the caller. A tile is P ≤ 4 neighbouring output positions by V ≤ 3 vectors of
 * output channels; per filter tap, P scalar loads of x (splatted) and V vector loads of w.
 * XNNPACK packs and tiles for many channels; with one or few input channels (an image) this is
 * faster (bench/NOTES.md).
 * ------------------------------------------------------------------------------------------- */
template <int P, int V>
INLINE void fwd_tile(const float *x, int xstep, const float *w, const float *bias, float *out, int CO, int c0, int wl, int KH,
                     int KW, int CI, int rowstep, int DH, int DWd, int relu) {
  v128_t acc[P][V];
  _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) {
    v128_t b0 = bias ? wasm_v128_load(bias + c0 + 4 * v) : wasm_f32x4_splat(0.0f);
    _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++) acc[p][v] = b0;
  }
  for (int i = 0; i < KH; i++) {
    for (int j = 0; j < KW; j++) {
      const float *xb = x + (long)i * DH * rowstep + (long)j * DWd * CI;
      const float *wb = w + ((long)(i * KW + j) * CI) * CO + c0;
      for (int c = 0; c < CI; c++, wb += CO) {
        v128_t wv[V];
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) wv[v] = wasm_v128_load(wb + 4 * v);
        _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++) {
          v128_t s = wasm_f32x4_splat(xb[p * xstep + c]);
          _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[p][v] = wasm_f32x4_add(acc[p][v], wasm_f32x4_mul(s, wv[v]));
        }
      }
    }
  }
  v128_t zero = wasm_f32x4_splat(0.0f);
  _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++) {
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) if (relu) acc[p][v] = wasm_f32x4_max(acc[p][v], zero);
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V - 1; v++) wasm_v128_store(out + p * CO + 4 * v, acc[p][v]);
    store_n(out + p * CO + 4 * (V - 1), acc[p][V - 1], wl);
  }
}

#define FWD_TILE(P, V) fwd_tile<P, V>(xb, xstep, w, bias, o, CO, c0, wl, KH, KW, CI, rowstep, DH, DWd, relu)

/* One input channel, stride 1 (an image's first convolution), up to 12 output channels: 4
 * neighbouring output positions in a vector (x is contiguous along a row when CI = 1), one
 * accumulator vector per output channel, a filter tap's weight splatted from memory; the
 * accumulators are transposed to NHWC rows at the store. Each output sums bias then taps (i, j)
 * in the same order as fwd_tile, so the same bits. */
template <int CO>
static void conv2d_forward_ci1(const float *xp, int B, int Hp, int Wp, const float *w, const float *bias, int KH, int KW, int DH,
                               int DWd, float *out, int OH, int OW, int relu) {
  const int V = (CO + 3) / 4;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int b = 0; b < B; b++) {
    for (int oy = 0; oy < OH; oy++) {
      const float *xrow = xp + (long)(b * Hp + oy) * Wp;
      float *orow = out + ((long)(b * OH + oy) * OW) * CO;
      for (int ox = 0; ox < OW; ox += 4) {
        int P = OW - ox < 4 ? OW - ox : 4;
        v128_t acc[4 * V];
        _Pragma("clang loop unroll(full)") for (int o = 0; o < 4 * V; o++) acc[o] = (bias && o < CO) ? wasm_v128_load32_splat(bias + o) : zero;
        const float *wt = w;
        for (int i = 0; i < KH; i++) {
          const float *xi = xrow + (long)i * DH * Wp + ox;
          for (int j = 0; j < KW; j++, wt += CO) {
            v128_t xv = wasm_v128_load(xi + j * DWd);
            _Pragma("clang loop unroll(full)") for (int o = 0; o < CO; o++)
              acc[o] = wasm_f32x4_add(acc[o], wasm_f32x4_mul(xv, wasm_v128_load32_splat(wt + o)));
          }
        }
        float *o0 = orow + (long)ox * CO;
        _Pragma("clang loop unroll(full)") for (int g = 0; g < V; g++) {
          v128_t a0 = acc[4 * g], a1 = acc[4 * g + 1], a2 = acc[4 * g + 2], a3 = acc[4 * g + 3];
          if (relu) {
            a0 = wasm_f32x4_max(a0, zero);
            a1 = wasm_f32x4_max(a1, zero);
            a2 = wasm_f32x4_max(a2, zero);
            a3 = wasm_f32x4_max(a3, zero);
          }
          /* 4×4 transpose: row p = lane p of a0..a3 (channels 4g..4g+3 at position p). */
          v128_t t0 = wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5);
          v128_t t2 = wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7);
          const int n = CO - 4 * g < 4 ? CO - 4 * g : 4;
          float *d = o0 + 4 * g;
          store_n(d, wasm_i64x2_shuffle(t0, t1, 0, 2), n);
          if (P > 1) store_n(d + CO, wasm_i64x2_shuffle(t0, t1, 1, 3), n);
          if (P > 2) store_n(d + 2 * CO, wasm_i64x2_shuffle(t2, t3, 0, 2), n);
          if (P > 3) store_n(d + 3 * CO, wasm_i64x2_shuffle(t2, t3, 1, 3), n);
        }
      }
    }
  }
}

EXPORT(conv2d_forward)
void conv2d_forward(const float *xp, int B, int Hp, int Wp, int CI, const float *w, const float *bias, int KH, int KW, int SH,
                    int SW, int DH, int DWd, float *out, int OH, int OW, int CO, int relu) {
  if (CI == 1 && SW == 1 && CO >= 5 && CO <= 12) {
    switch (CO) {
      case 5: conv2d_forward_ci1<5>(xp, B, Hp, Wp, w, bias, KH, KW, DH, DWd, out, OH, OW, relu); return;
      case 6: conv2d_forward_ci1<6>(xp, B, Hp, Wp, w, bias, KH, KW, DH, DWd, out, OH, OW, relu); return;
      case 7: conv2d_forward_ci1<7>(xp, B, Hp, Wp, w, bias, KH, KW, DH, DWd, out, OH, OW, relu); return;
      case 8: conv2d_forward_ci1<8>(xp, B, Hp, Wp, w, bias, KH, KW, DH, DWd, out, OH, OW, relu); return;
      case 9: conv2d_forward_ci1<9>(xp, B, Hp, Wp, w, bias, KH, KW, DH, DWd, out, OH, OW, relu); return;
      case 10: conv2d_forward_ci1<10>(xp, B, Hp, Wp, w, bias, KH, KW, DH, DWd, out, OH, OW, relu); return;
      case 11: conv2d_forward_ci1<11>(xp, B, Hp, Wp, w, bias, KH, KW, DH, DWd, out, OH, OW, relu); return;
      default: conv2d_forward_ci1<12>(xp, B, Hp, Wp, w, bias, KH, KW, DH, DWd, out, OH, OW, relu); return;
    }
  }
  int rowstep = Wp * CI;
  int xstep = SW * CI;
  int TP, TV;
  tile_shape(CO, &TP, &TV);
#if !defined(TILE_ROWS)
  if (TV == 3) TP = 3; /* measured: 3 × 3 is faster here (LeNet conv1 1.22 -> 1.07 ms CPU), not in the gradients */
#endif
  for (int b = 0; b < B; b++) {
    for (int oy = 0; oy < OH; oy++) {
      const float *xrow = xp + ((long)(b * Hp + oy * SH) * Wp) * CI;
      float *orow = out + ((long)(b * OH + oy) * OW) * CO;
      for (int c0 = 0; c0 < CO; c0 += 4 * TV) {
        int width = CO - c0 < 4 * TV ? CO - c0 : 4 * TV;
        int V = (width + 3) / 4;
        int wl = width - 4 * (V - 1);
        for (int ox = 0; ox < OW; ox += TP) {
          int P = OW - ox < TP ? OW - ox : TP;
          const float *xb = xrow + (long)ox * xstep;
          float *o = orow + (long)ox * CO + c0;
          switch (P * 4 + V) {
            case 4 * 4 + 3: FWD_TILE(4, 3); break;
            case 4 * 4 + 2: FWD_TILE(4, 2); break;
            case 4 * 4 + 1: FWD_TILE(4, 1); break;
            case 3 * 4 + 3: FWD_TILE(3, 3); break;
            case 3 * 4 + 2: FWD_TILE(3, 2); break;
            case 3 * 4 + 1: FWD_TILE(3, 1); break;
            case 2 * 4 + 3: FWD_TILE(2, 3); break;
            case 2 * 4 + 2: FWD_TILE(2, 2); break;
            case 2 * 4 + 1: FWD_TILE(2, 1); break;
            case 1 * 4 + 3: FWD_TILE(1, 3); break;
            case 1 * 4 + 2: FWD_TILE(1, 2); break;
            default: FWD_TILE(1, 1); break;
          }
        }
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * Conv2DBackpropInput, as a scatter of each output gradient through the filter:
 *
 *   dxp[b, oy·sh + i·dh, ox·sw + j·dw, c] += Σ_o dy[b,oy,ox,o] · wt[i,j,o,c]
 *
 * into dxp, the input gradient zero-padded by the forward padding (zeroed by the caller; the
 * caller crops it). wt is the filter with its channel axes swapped ([kh,kw,co,ci]) so a row of
 * input channels is contiguous. A tile is P ≤ 4 neighbouring output positions by V ≤ 3 vectors of
 * input channels, loaded from dxp, accumulated over o, stored back exactly. Exactly the
 * multiply-adds of the forward pass, whatever the stride (no zero-dilated canvas).
 * ------------------------------------------------------------------------------------------- */
template <int P, int V>
INLINE void dx_tile(const float *g, int CO, const float *w, int CI, float *d, int dstep, int wl) {
  v128_t acc[P][V];
  _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++) {
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V - 1; v++) acc[p][v] = wasm_v128_load(d + p * dstep + 4 * v);
    acc[p][V - 1] = load_n(d + p * dstep + 4 * (V - 1), wl);
  }
  for (int o = 0; o < CO; o++, w += CI) {
    v128_t wv[V];
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) wv[v] = wasm_v128_load(w + 4 * v);
    _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++) {
      v128_t s = wasm_f32x4_splat(g[p * CO + o]);
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[p][v] = wasm_f32x4_add(acc[p][v], wasm_f32x4_mul(s, wv[v]));
    }
  }
  _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++) {
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V - 1; v++) wasm_v128_store(d + p * dstep + 4 * v, acc[p][v]);
    store_n(d + p * dstep + 4 * (V - 1), acc[p][V - 1], wl);
  }
}

#define DX_TILE(P, V) dx_tile<P, V>(g, CO, w, CI, d, dstep, wl)

EXPORT(conv2d_backprop_input)
void conv2d_backprop_input(const float *dy, int B, int OH, int OW, int CO, const float *wt, int KH, int KW, int SH, int SW,
                           int DH, int DWd, float *dxp, int Hp, int Wp, int CI) {
  int dstep = SW * CI;
  int TP, TV;
  tile_shape(CI, &TP, &TV);
  for (int b = 0; b < B; b++) {
    for (int oy = 0; oy < OH; oy++) {
      const float *grow = dy + ((long)(b * OH + oy) * OW) * CO;
      for (int i = 0; i < KH; i++) {
        float *drow = dxp + ((long)(b * Hp + oy * SH + i * DH) * Wp) * CI;
        for (int j = 0; j < KW; j++) {
          for (int c0 = 0; c0 < CI; c0 += 4 * TV) {
            int width = CI - c0 < 4 * TV ? CI - c0 : 4 * TV;
            int V = (width + 3) / 4;
            int wl = width - 4 * (V - 1);
            const float *w = wt + (long)(i * KW + j) * CO * CI + c0;
            for (int ox = 0; ox < OW; ox += TP) {
              int P = OW - ox < TP ? OW - ox : TP;
              const float *g = grow + (long)ox * CO;
              float *d = drow + (long)(ox * SW + j * DWd) * CI + c0;
              switch (P * 4 + V) {
                case 4 * 4 + 3: DX_TILE(4, 3); break;
                case 4 * 4 + 2: DX_TILE(4, 2); break;
                case 4 * 4 + 1: DX_TILE(4, 1); break;
                case 3 * 4 + 3: DX_TILE(3, 3); break;
                case 3 * 4 + 2: DX_TILE(3, 2); break;
                case 3 * 4 + 1: DX_TILE(3, 1); break;
                case 2 * 4 + 3: DX_TILE(2, 3); break;
                case 2 * 4 + 2: DX_TILE(2, 2); break;
                case 2 * 4 + 1: DX_TILE(2, 1); break;
                case 1 * 4 + 3: DX_TILE(1, 3); break;
                case 1 * 4 + 2: DX_TILE(1, 2); break;
                default: DX_TILE(1, 1); break;
              }
            }
          }
        }
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * MaxPoolGrad: for each window and channel, the first maximum in row-major order (strict > from
 * −∞, so a NaN or all −∞ window passes nothing: the cpu backend's rule, ties to the first) gets
 * dy. Two passes over the window per vector of 4 channels: find (value, index) of the maximum,
 * then add dy where the index matches (no scalar scatter). dx is zeroed by this kernel.
 * ------------------------------------------------------------------------------------------- */
/* The common 2×2, stride-2, unpadded pooling: windows tile the input without overlap, so every
 * covered element of dx is written exactly once (dy or 0) and no zeroing pass is needed but for
 * an odd last row or column. Same rule: first maximum in row-major order, strict > from −∞. */
static void max_pool_grad_2x2(const float *x, const float *dy, float *dx, int B, int H, int W, int C, int OH, int OW) {
  long rowC = (long)W * C;
  for (int b = 0; b < B; b++) {
    for (int oy = 0; oy < OH; oy++) {
      const float *x0 = x + ((long)(b * H + 2 * oy) * W) * C;
      float *d0 = dx + ((long)(b * H + 2 * oy) * W) * C;
      const float *g = dy + ((long)(b * OH + oy) * OW) * C;
      for (int ox = 0; ox < OW; ox++) {
        long p = (long)2 * ox * C;
        for (int c0 = 0; c0 < C; c0 += 4) {
          int wl = C - c0 < 4 ? C - c0 : 4;
          long q = p + c0;
          v128_t v0 = wasm_v128_load(x0 + q), v1 = wasm_v128_load(x0 + q + C);
          v128_t v2 = wasm_v128_load(x0 + q + rowC), v3 = wasm_v128_load(x0 + q + rowC + C);
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t h0 = wasm_f32x4_gt(v0, best);
          best = wasm_v128_bitselect(v0, best, h0);
          v128_t h1 = wasm_f32x4_gt(v1, best);
          best = wasm_v128_bitselect(v1, best, h1);
          v128_t h2 = wasm_f32x4_gt(v2, best);
          best = wasm_v128_bitselect(v2, best, h2);
          v128_t h3 = wasm_f32x4_gt(v3, best);
          /* the winner is the last position that raised the maximum */
          v128_t w3 = h3;
          v128_t w2 = wasm_v128_andnot(h2, h3);
          v128_t w1 = wasm_v128_andnot(h1, wasm_v128_or(h2, h3));
          v128_t w0 = wasm_v128_andnot(h0, wasm_v128_or(h1, wasm_v128_or(h2, h3)));
          v128_t gv = wasm_v128_load(g + (long)ox * C + c0);
          store_n(d0 + q, wasm_v128_and(gv, w0), wl);
          store_n(d0 + q + C, wasm_v128_and(gv, w1), wl);
          store_n(d0 + q + rowC, wasm_v128_and(gv, w2), wl);
          store_n(d0 + q + rowC + C, wasm_v128_and(gv, w3), wl);
        }
      }
      /* an odd last column */
      for (int col = 2 * OW; col < W; col++) {
        for (int k = 0; k < 2; k++) __builtin_memset(d0 + k * rowC + (long)col * C, 0, (unsigned long)C * sizeof(float));
      }
    }
    /* an odd last row */
    for (int row = 2 * OH; row < H; row++) __builtin_memset(dx + ((long)(b * H + row) * W) * C, 0, (unsigned long)rowC * sizeof(float));
  }
}

EXPORT(max_pool_grad)
void max_pool_grad(const float *x, const float *dy, float *dx, int B, int H, int W, int C, int OH, int OW, int KH, int KW,
                   int SH, int SW, int DH, int DWd, int top, int left) {
  if (KH == 2 && KW == 2 && SH == 2 && SW == 2 && DH == 1 && DWd == 1 && top == 0 && left == 0 && 2 * OH <= H && 2 * OW <= W) {
    max_pool_grad_2x2(x, dy, dx, B, H, W, C, OH, OW);
    return;
  }
  __builtin_memset(dx, 0, (unsigned long)B * H * W * C * sizeof(float));
  for (int b = 0; b < B; b++) {
    for (int oy = 0; oy < OH; oy++) {
      int y0 = oy * SH - top;
      int iy0 = y0, iy1 = y0 + (KH - 1) * DH + 1;
      while (iy0 < 0) iy0 += DH;
      if (iy1 > H) iy1 = H;
      for (int ox = 0; ox < OW; ox++) {
        int x0 = ox * SW - left;
        int ix0 = x0, ix1 = x0 + (KW - 1) * DWd + 1;
        while (ix0 < 0) ix0 += DWd;
        if (ix1 > W) ix1 = W;
        const float *g = dy + ((long)(b * OH + oy) * OW + ox) * C;
        for (int c0 = 0; c0 < C; c0 += 4) {
          int wl = C - c0 < 4 ? C - c0 : 4;
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t at = wasm_i32x4_splat(-1);
          int k = 0;
          for (int iy = iy0; iy < iy1; iy += DH) {
            const float *xr = x + ((long)(b * H + iy) * W) * C + c0;
            for (int ix = ix0; ix < ix1; ix += DWd, k++) {
              v128_t v = wasm_v128_load(xr + (long)ix * C);
              v128_t gt = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, gt);
              at = wasm_v128_bitselect(wasm_i32x4_splat(k), at, gt);
            }
          }
          v128_t gv = wasm_v128_load(g + c0);
          k = 0;
          for (int iy = iy0; iy < iy1; iy += DH) {
            float *dr = dx + ((long)(b * H + iy) * W) * C + c0;
            for (int ix = ix0; ix < ix1; ix += DWd, k++) {
              v128_t hit = wasm_i32x4_eq(at, wasm_i32x4_splat(k));
              if (!wasm_v128_any_true(hit)) continue;
              float *p = dr + (long)ix * C;
              store_n(p, wasm_f32x4_add(load_n(p, wl), wasm_v128_and(gv, hit)), wl);
            }
          }
        }
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * AvgPoolGrad: dx[window of (oy,ox)] += dy[oy,ox] · scale, over the in-bounds window elements,
 * with scale = 1 / (in-bounds elements of the window) when `per_window` is set, else `scale`.
 * ------------------------------------------------------------------------------------------- */
EXPORT(avg_pool_grad)
void avg_pool_grad(const float *dy, float *dx, int B, int H, int W, int C, int OH, int OW, int KH, int KW, int SH, int SW,
                   int DH, int DWd, int top, int left, float scale, int per_window) {
  __builtin_memset(dx, 0, (unsigned long)B * H * W * C * sizeof(float));
  v128_t sc = wasm_f32x4_splat(scale);
  for (int b = 0; b < B; b++) {
    for (int oy = 0; oy < OH; oy++) {
      int y0 = oy * SH - top;
      int iy0 = y0, iy1 = y0 + (KH - 1) * DH + 1;
      while (iy0 < 0) iy0 += DH;
      if (iy1 > H) iy1 = H;
      for (int ox = 0; ox < OW; ox++) {
        int x0 = ox * SW - left;
        int ix0 = x0, ix1 = x0 + (KW - 1) * DWd + 1;
        while (ix0 < 0) ix0 += DWd;
        if (ix1 > W) ix1 = W;
        const float *g = dy + ((long)(b * OH + oy) * OW + ox) * C;
        if (per_window) {
          int count = ((iy1 - iy0 + DH - 1) / DH) * ((ix1 - ix0 + DWd - 1) / DWd);
          sc = wasm_f32x4_splat(count > 0 ? 1.0f / (float)count : 0.0f);
        }
        for (int c0 = 0; c0 < C; c0 += 4) {
          int wl = C - c0 < 4 ? C - c0 : 4;
          v128_t gv = wasm_f32x4_mul(wasm_v128_load(g + c0), sc);
          for (int iy = iy0; iy < iy1; iy += DH) {
            float *dr = dx + ((long)(b * H + iy) * W) * C + c0;
            for (int ix = ix0; ix < ix1; ix += DWd) {
              float *p = dr + (long)ix * C;
              store_n(p, wasm_f32x4_add(load_n(p, wl), gv), wl);
            }
          }
        }
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * Sum over the leading axes: out[c] = Σ_n x[n, c] (a bias gradient). Vectors over c; partial
 * sums per block of 256 rows, added into the totals (two-level summation).
 * ------------------------------------------------------------------------------------------- */
template <int V>
INLINE void sum_block(const float *x, int N, int C, int c0, int wl, float *out) {
  v128_t tot[V];
  _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) tot[v] = wasm_f32x4_splat(0.0f);
  for (int n0 = 0; n0 < N; n0 += 256) {
    int n1 = N - n0 < 256 ? N : n0 + 256;
    v128_t acc[V];
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[v] = wasm_f32x4_splat(0.0f);
    const float *p = x + (long)n0 * C + c0;
    for (int n = n0; n < n1; n++, p += C) {
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[v] = wasm_f32x4_add(acc[v], wasm_v128_load(p + 4 * v));
    }
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) tot[v] = wasm_f32x4_add(tot[v], acc[v]);
  }
  _Pragma("clang loop unroll(full)") for (int v = 0; v < V - 1; v++) wasm_v128_store(out + c0 + 4 * v, tot[v]);
  store_n(out + c0 + 4 * (V - 1), tot[V - 1], wl);
}

EXPORT(sum_leading)
void sum_leading(const float *x, int N, int C, float *out) {
  for (int c0 = 0; c0 < C; c0 += 16) {
    int width = C - c0 < 16 ? C - c0 : 16;
    int V = (width + 3) / 4;
    int wl = width - 4 * (V - 1);
    if (V == 4) sum_block<4>(x, N, C, c0, wl, out);
    else if (V == 3) sum_block<3>(x, N, C, c0, wl, out);
    else if (V == 2) sum_block<2>(x, N, C, c0, wl, out);
    else sum_block<1>(x, N, C, c0, wl, out);
  }
}

/* ---------------------------------------------------------------------------------------------
 * Zero-padded copy / crop of an NHWC tensor (the scratch buffers of the convolution gradients).
 * ------------------------------------------------------------------------------------------- */
EXPORT(pad_nhwc)
void pad_nhwc(const float *src, int B, int H, int W, int C, float *dst, int Hp, int Wp, int top, int left) {
  __builtin_memset(dst, 0, (unsigned long)B * Hp * Wp * C * sizeof(float));
  for (int b = 0; b < B; b++)
    for (int y = 0; y < H; y++)
      __builtin_memcpy(dst + ((long)(b * Hp + y + top) * Wp + left) * C, src + ((long)(b * H + y) * W) * C,
                       (unsigned long)W * C * sizeof(float));
}

EXPORT(crop_nhwc)
void crop_nhwc(const float *src, int B, int Hp, int Wp, int C, int top, int left, float *dst, int H, int W) {
  for (int b = 0; b < B; b++)
    for (int y = 0; y < H; y++)
      __builtin_memcpy(dst + ((long)(b * H + y) * W) * C, src + ((long)(b * Hp + y + top) * Wp + left) * C,
                       (unsigned long)W * C * sizeof(float));
}

EXPORT(zero_f32)
void zero_f32(float *p, int n) { __builtin_memset(p, 0, (unsigned long)n * sizeof(float)); }

/* W [kh,kw,ci,co] → [kh,kw,co,ci]. */
EXPORT(swap_filter_channels)
void swap_filter_channels(const float *w, int KH, int KW, int CI, int CO, float *out) {
  for (int k = 0; k < KH * KW; k++) {
    const float *s = w + (long)k * CI * CO;
    float *d = out + (long)k * CI * CO;
    for (int c = 0; c < CI; c++)
      for (int o = 0; o < CO; o++) d[o * CI + c] = s[c * CO + o];
  }
}

/* ---------------------------------------------------------------------------------------------
 * Cross-stitch (channel mode; scalar mode passes α expanded per channel): N activations of
 * `rows` rows of C channels, α_ij a row of C weights at alpha + (i·N + j)·C.
 *
 *   forward   y_i  = Σ_j α_ij ⊙ x_j
 *   backward  dx_j = Σ_i α_ij ⊙ dy_i,   dα_ij = Σ_rows dy_i ⊙ x_j
 *
 * Two towers (the common case) in one pass each way: every input read once, every output written
 * once. Any N: cs_axpy and cs_dot, pairwise. dα sums are two-level: partial sums over blocks of 64
 * rows (`part`, C floats of scratch), added into `out`.
 * ------------------------------------------------------------------------------------------- */
EXPORT(cs_forward2)
void cs_forward2(const float *x0, const float *x1, const float *alpha, float *y0, float *y1, int rows, int C) {
  const float *a00 = alpha, *a01 = alpha + C, *a10 = alpha + 2 * C, *a11 = alpha + 3 * C;
  for (int r = 0; r < rows; r++) {
    long o = (long)r * C;
    for (int k = 0; k < C; k += 4) {
      int wl = C - k < 4 ? C - k : 4;
      v128_t u = wasm_v128_load(x0 + o + k), v = wasm_v128_load(x1 + o + k);
      v128_t p = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a00 + k), u), wasm_f32x4_mul(wasm_v128_load(a01 + k), v));
      v128_t q = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a10 + k), u), wasm_f32x4_mul(wasm_v128_load(a11 + k), v));
      store_n(y0 + o + k, p, wl);
      store_n(y1 + o + k, q, wl);
    }
  }
}

/* y (+)= a ⊙ x, rows × C (a: one row of C weights). */
EXPORT(cs_axpy)
void cs_axpy(const float *x, const float *a, float *y, int rows, int C, int accumulate) {
  for (int r = 0; r < rows; r++) {
    long o = (long)r * C;
    for (int k = 0; k < C; k += 4) {
      int wl = C - k < 4 ? C - k : 4;
      v128_t t = wasm_f32x4_mul(wasm_v128_load(a + k), wasm_v128_load(x + o + k));
      if (accumulate) t = wasm_f32x4_add(t, load_n(y + o + k, wl));
      store_n(y + o + k, t, wl);
    }
  }
}

/* out[k] += Σ_rows g[r,k]·x[r,k] (two-level: blocks of 64 rows into `part`). */
EXPORT(cs_dot)
void cs_dot(const float *g, const float *x, float *out, float *part, int rows, int C) {
  for (int r0 = 0; r0 < rows; r0 += 64) {
    int r1 = rows - r0 < 64 ? rows : r0 + 64;
    __builtin_memset(part, 0, (unsigned long)C * sizeof(float));
    for (int r = r0; r < r1; r++) {
      long o = (long)r * C;
      for (int k = 0; k < C; k += 4) {
        int wl = C - k < 4 ? C - k : 4;
        v128_t t = wasm_f32x4_mul(wasm_v128_load(g + o + k), wasm_v128_load(x + o + k));
        store_n(part + k, wasm_f32x4_add(load_n(part + k, wl), t), wl);
      }
    }
    for (int k = 0; k < C; k += 4) {
      int wl = C - k < 4 ? C - k : 4;
      store_n(out + k, wasm_f32x4_add(load_n(out + k, wl), load_n(part + k, wl)), wl);
    }
  }
}

/* Two towers: dx0, dx1 and the four dα rows (into s: 4·C floats, zeroed by the caller). */
EXPORT(cs_backward2)
void cs_backward2(const float *g0, const float *g1, const float *x0, const float *x1, const float *alpha, float *d0, float *d1,
                  float *s, float *part, int rows, int C) {
  const float *a00 = alpha, *a01 = alpha + C, *a10 = alpha + 2 * C, *a11 = alpha + 3 * C;
  for (int r0 = 0; r0 < rows; r0 += 64) {
    int r1 = rows - r0 < 64 ? rows : r0 + 64;
    __builtin_memset(part, 0, (unsigned long)4 * C * sizeof(float));
    for (int r = r0; r < r1; r++) {
      long o = (long)r * C;
      for (int k = 0; k < C; k += 4) {
        int wl = C - k < 4 ? C - k : 4;
        v128_t p = wasm_v128_load(g0 + o + k), q = wasm_v128_load(g1 + o + k);
        v128_t u = wasm_v128_load(x0 + o + k), v = wasm_v128_load(x1 + o + k);
        store_n(d0 + o + k, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a00 + k), p), wasm_f32x4_mul(wasm_v128_load(a10 + k), q)), wl);
        store_n(d1 + o + k, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a01 + k), p), wasm_f32x4_mul(wasm_v128_load(a11 + k), q)), wl);
        store_n(part + k, wasm_f32x4_add(load_n(part + k, wl), wasm_f32x4_mul(p, u)), wl);
        store_n(part + C + k, wasm_f32x4_add(load_n(part + C + k, wl), wasm_f32x4_mul(p, v)), wl);
        store_n(part + 2 * C + k, wasm_f32x4_add(load_n(part + 2 * C + k, wl), wasm_f32x4_mul(q, u)), wl);
        store_n(part + 3 * C + k, wasm_f32x4_add(load_n(part + 3 * C + k, wl), wasm_f32x4_mul(q, v)), wl);
      }
    }
    for (int k = 0; k < 4 * C; k += 4) {
      int wl = 4 * C - k < 4 ? 4 * C - k : 4;
      store_n(s + k, wasm_f32x4_add(load_n(s + k, wl), load_n(part + k, wl)), wl);
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * DepthwiseConv2dNativeBackpropFilter, channel multiplier 1:
 *
 *   dw[i,j,c] = Σ_{b,oy,ox} xp[b, oy·sh + i·dh, ox·sw + j·dw, c] · dy[b,oy,ox,c]
 *
 * xp zero-padded by the caller. Vectors over channels, V ≤ 4 at a time, two-level sums per example.
 * ------------------------------------------------------------------------------------------- */
template <int V>
INLINE void dw_depthwise_block(const float *xp, const float *dy, float *dw, int B, int Hp, int Wp, int C, int OH, int OW,
                               int SH, int SW, int off, int c0, int wl, float *o) {
  v128_t tot[V];
  _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) tot[v] = wasm_f32x4_splat(0.0f);
  for (int b = 0; b < B; b++) {
    v128_t acc[V];
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[v] = wasm_f32x4_splat(0.0f);
    for (int oy = 0; oy < OH; oy++) {
      const float *xr = xp + ((long)(b * Hp + oy * SH) * Wp) * C + off + c0;
      const float *g = dy + ((long)(b * OH + oy) * OW) * C + c0;
      for (int ox = 0; ox < OW; ox++, g += C) {
        const float *xb = xr + (long)ox * SW * C;
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++)
          acc[v] = wasm_f32x4_add(acc[v], wasm_f32x4_mul(wasm_v128_load(xb + 4 * v), wasm_v128_load(g + 4 * v)));
      }
    }
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) tot[v] = wasm_f32x4_add(tot[v], acc[v]);
  }
  _Pragma("clang loop unroll(full)") for (int v = 0; v < V - 1; v++) wasm_v128_store(o + 4 * v, tot[v]);
  store_n(o + 4 * (V - 1), tot[V - 1], wl);
  (void)dw;
}

EXPORT(depthwise_backprop_filter)
void depthwise_backprop_filter(const float *xp, int B, int Hp, int Wp, int C, const float *dy, int OH, int OW, int KH, int KW,
                               int SH, int SW, int DH, int DWd, float *dw) {
  for (int i = 0; i < KH; i++) {
    for (int j = 0; j < KW; j++) {
      int off = (i * DH * Wp + j * DWd) * C;
      float *o = dw + (long)(i * KW + j) * C;
      for (int c0 = 0; c0 < C; c0 += 16) {
        int width = C - c0 < 16 ? C - c0 : 16;
        int V = (width + 3) / 4;
        int wl = width - 4 * (V - 1);
        if (V == 4) dw_depthwise_block<4>(xp, dy, dw, B, Hp, Wp, C, OH, OW, SH, SW, off, c0, wl, o + c0);
        else if (V == 3) dw_depthwise_block<3>(xp, dy, dw, B, Hp, Wp, C, OH, OW, SH, SW, off, c0, wl, o + c0);
        else if (V == 2) dw_depthwise_block<2>(xp, dy, dw, B, Hp, Wp, C, OH, OW, SH, SW, off, c0, wl, o + c0);
        else dw_depthwise_block<1>(xp, dy, dw, B, Hp, Wp, C, OH, OW, SH, SW, off, c0, wl, o + c0);
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * Relu's gradient in one pass: dx = dy · step(x), step(x) = 1 for x > 0, NaN for NaN, else 0 —
 * the product tfjs's gradient composes from Step, Cast and Multiply (three kernels, two
 * temporaries), with the same float32 multiply, so the same bits (−0 where dy < 0 and x ≤ 0).
 * ------------------------------------------------------------------------------------------- */
EXPORT(relu_grad)
void relu_grad(const float *dy, const float *x, float *dx, int n) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xv = wasm_v128_load(x + i);
    v128_t s = wasm_v128_bitselect(one, zero, wasm_f32x4_gt(xv, zero));
    s = wasm_v128_bitselect(s, xv, wasm_f32x4_eq(xv, xv)); /* NaN x: s = x (NaN) */
    wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), s));
  }
  for (; i < n; i++) {
    float xv = x[i];
    float s = xv > 0.0f ? 1.0f : (xv != xv ? xv : 0.0f);
    dx[i] = dy[i] * s;
  }
}

/* ---------------------------------------------------------------------------------------------
 * SGD with momentum (tfjs's MomentumOptimizer, not Nesterov) for one variable, in tfjs's order of
 * float32 operations, so the same bits as its four kernels (Multiply, Add, Multiply, Add):
 *   acc' = m·acc + g,   value' = c·acc' + value   (c = −learning rate)
 * ------------------------------------------------------------------------------------------- */
EXPORT(momentum_update)
void momentum_update(const float *value, const float *acc, const float *g, float *value_out, float *acc_out, int n, float m,
                     float c) {
  const v128_t vm = wasm_f32x4_splat(m), vc = wasm_f32x4_splat(c);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t a = wasm_f32x4_add(wasm_f32x4_mul(vm, wasm_v128_load(acc + i)), wasm_v128_load(g + i));
    wasm_v128_store(acc_out + i, a);
    wasm_v128_store(value_out + i, wasm_f32x4_add(wasm_f32x4_mul(vc, a), wasm_v128_load(value + i)));
  }
  for (; i < n; i++) {
    float a = m * acc[i] + g[i];
    acc_out[i] = a;
    value_out[i] = c * a + value[i];
  }
}

/* ---------------------------------------------------------------------------------------------
 * Matrix product for BatchMatMul (one batch entry): C[M,N] = op(A)·B, op(A) = A ([M,K]) or Aᵀ
 * (A is [K,M], transA). B is [K,N] row-major (the caller transposes a transposed B first). A tile
 * is R rows of C × V vectors of N (tile_shape): per k, R scalars of op(A) splatted × V vectors of
 * B's row k. Each C element sums over k in order 0..K−1.
 * ------------------------------------------------------------------------------------------- */
template <int R, int V>
INLINE void mm_tile(const float *A, int am, int ak, const float *B, int N, float *C, int m0, int c0, int wl, int K) {
  v128_t acc[R][V];
  _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[r][v] = wasm_f32x4_splat(0.0f);
  const float *a = A + (long)m0 * am;
  const float *b = B + c0;
  for (int k = 0; k < K; k++, a += ak, b += N) {
    v128_t bv[V];
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) bv[v] = wasm_v128_load(b + 4 * v);
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
      v128_t s = wasm_f32x4_splat(a[(long)r * am]);
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(s, bv[v]));
    }
  }
  _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
    float *o = C + (long)(m0 + r) * N + c0;
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V - 1; v++) wasm_v128_store(o + 4 * v, acc[r][v]);
    store_n(o + 4 * (V - 1), acc[r][V - 1], wl);
  }
}

#define MM_TILE(R, V) mm_tile<R, V>(A, am, ak, B, N, C, m0, c0, wl, K)

EXPORT(matmul)
void matmul(const float *A, int transA, const float *B, float *C, int M, int K, int N) {
  int am = transA ? 1 : K, ak = transA ? M : 1;
  int TR, TV;
  tile_shape(N, &TR, &TV);
  for (int m0 = 0; m0 < M; m0 += TR) {
    int R = M - m0 < TR ? M - m0 : TR;
    for (int c0 = 0; c0 < N; c0 += 4 * TV) {
      int width = N - c0 < 4 * TV ? N - c0 : 4 * TV;
      int V = (width + 3) / 4;
      int wl = width - 4 * (V - 1);
      switch (R * 4 + V) {
        case 4 * 4 + 3: MM_TILE(4, 3); break;
        case 4 * 4 + 2: MM_TILE(4, 2); break;
        case 4 * 4 + 1: MM_TILE(4, 1); break;
        case 3 * 4 + 3: MM_TILE(3, 3); break;
        case 3 * 4 + 2: MM_TILE(3, 2); break;
        case 3 * 4 + 1: MM_TILE(3, 1); break;
        case 2 * 4 + 3: MM_TILE(2, 3); break;
        case 2 * 4 + 2: MM_TILE(2, 2); break;
        case 2 * 4 + 1: MM_TILE(2, 1); break;
        case 1 * 4 + 3: MM_TILE(1, 3); break;
        case 1 * 4 + 2: MM_TILE(1, 2); break;
        default: MM_TILE(1, 1); break;
      }
    }
  }
}
