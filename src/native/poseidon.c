/*
 * Rampart's native Poseidon engine (a Node-API addon, compiled on the machine that runs it by
 * src/native/build.ts). Same permutation, constants and memory layout as the generated WebAssembly
 * engine (src/core/wasm/poseidon-gen.ts); src/native/poseidon-native.ts installs it as the
 * Poseidon backend of src/core/poseidon.ts, and tests hold it bit-identical to circomlibjs.
 *
 * Why native: WebAssembly has no 64x64 -> 128-bit multiply, so the WASM engine works in 9 x 29-bit
 * limbs (81 partial products per field product); here a field element is 4 x 64-bit limbs and a
 * product is 16 `mulx`, which makes a Poseidon(4) about twice as fast (bench/poseidon.bench.ts).
 *
 * Arithmetic: Montgomery form (R = 2^256) modulo BN254 Fr (`create` refuses any other p); every
 * stored value is fully reduced (< p). On x86-64 with BMI2 and ADX (RAMPART_ASM) the inner steps are
 * inline assembly; elsewhere portable C with unsigned __int128 (correct, about 2x slower). Dot
 * products of at most LAZY = 5 terms take one Montgomery reduction, which is exact while
 * LAZY * p < 2^256 (so every row of width t <= 5 is one reduction).
 *
 * Permutation (the optimised form of src/core/poseidon-params.ts `PoseidonOptimized`):
 *   for r < Rf:  state += firstC[r]; x^5 on all lanes; state = (r < Rf-1 ? M : P) * state
 *   for r < Rp:  s0 += k[r]; s0 = s0^5; n0 = w[r] . state; s_j += v[r][j-1] * s0; s0 = n0
 *   for r < Rf:  state += lastC[r]; x^5 on all lanes; state = M * state
 *   output s0
 *
 * Exports: create(t, partialRounds, constants, memBytes) -> { mem: ArrayBuffer, hash(): void,
 * merkle(index, depth, writeNodes): void (t = 3 only) }. `constants` holds, as 32-byte little-endian
 * Montgomery-form elements: p (plain, not Montgomery), R^2 mod p, firstC (Rf x t), M (t x t),
 * P (t x t), k (Rp), w (Rp x t), v (Rp x (t-1)), lastC (Rf x t), with Rf = 4.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef struct { uint64_t l[4]; } fe;

enum { RF = 4, MAX_T = 17, MAX_RP = 80 };
/* Byte offsets in the engine's memory: the same as the WASM engine's LAYOUT. */
enum { IN_AT = 0, LEAF_AT = 1536, OUT_AT = 1600, NODES_AT = 2048, MEM_MIN = 4096 };

typedef struct {
  int t, rp;
  fe p, r2;
  fe firstC[RF][MAX_T];
  fe m[MAX_T][MAX_T];
  fe pre[MAX_T][MAX_T];
  fe k[MAX_RP];
  fe w[MAX_RP][MAX_T];
  fe v[MAX_RP][MAX_T];
  fe lastC[RF][MAX_T];
  uint8_t *mem;
  void *memRef; /* napi_ref */
  /* Functions (hash, merkle) still alive: the engine is freed when the last one is collected. */
  int refs;
} engine;

/* ---- field arithmetic (BN254 Fr; `create` refuses any other modulus) ---- */

static const uint64_t P0 = 0x43e1f593f0000001ULL, P1 = 0x2833e84879b97091ULL, P2 = 0xb85045b68181585dULL,
                      P3 = 0x30644e72e131a029ULL;
/* -p^-1 mod 2^64 (checked against Newton's iteration at create). */
static const uint64_t INV = 0xc2e1f593efffffffULL;
/* The most products one lazy reduction may sum: floor(2^256 / p) = 5. */
enum { LAZY = 5 };

#if defined(__x86_64__) && defined(__BMI2__) && defined(__ADX__)
#define RAMPART_ASM 1
static const uint64_t P_LIMBS[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL};

/* r = a - p if a >= p (a < 2p): sub/sbb, then cmovc keeps a where it borrowed (a < p). */
static inline __attribute__((always_inline)) void reduce_once(uint64_t r[4], uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  uint64_t d0 = a0, d1 = a1, d2 = a2, d3 = a3;
  __asm__(
      "subq %[p0], %[d0]\n\t"
      "sbbq %[p1], %[d1]\n\t"
      "sbbq %[p2], %[d2]\n\t"
      "sbbq %[p3], %[d3]\n\t"
      "cmovcq %[a0], %[d0]\n\t"
      "cmovcq %[a1], %[d1]\n\t"
      "cmovcq %[a2], %[d2]\n\t"
      "cmovcq %[a3], %[d3]\n\t"
      : [d0] "+&r"(d0), [d1] "+&r"(d1), [d2] "+&r"(d2), [d3] "+&r"(d3)
      : [a0] "r"(a0), [a1] "r"(a1), [a2] "r"(a2), [a3] "r"(a3), [p0] "m"(P_LIMBS[0]), [p1] "m"(P_LIMBS[1]),
        [p2] "m"(P_LIMBS[2]), [p3] "m"(P_LIMBS[3])
      : "cc");
  r[0] = d0;
  r[1] = d1;
  r[2] = d2;
  r[3] = d3;
}

static inline __attribute__((always_inline)) void fadd(fe *r, const fe *a, const fe *b) {
  uint64_t s0 = a->l[0], s1 = a->l[1], s2 = a->l[2], s3 = a->l[3];
  /* a + b < 2p < 2^255: no carry out of the top word. */
  __asm__(
      "addq 0(%[b]), %[s0]\n\t"
      "adcq 8(%[b]), %[s1]\n\t"
      "adcq 16(%[b]), %[s2]\n\t"
      "adcq 24(%[b]), %[s3]\n\t"
      : [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [s3] "+&r"(s3)
      : [b] "r"(b->l)
      : "cc", "memory");
  reduce_once(r->l, s0, s1, s2, s3);
}
#else
/* r = a - p if a >= p (a < 2p), branch-free. */
static inline void reduce_once(uint64_t r[4], uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  unsigned long long d0, d1, d2, d3, b;
  b = __builtin_sub_overflow(a0, P0, &d0);
  unsigned long long t1, t2, t3;
  unsigned long long b1 = __builtin_sub_overflow(a1, P1, &t1);
  b1 |= __builtin_sub_overflow(t1, b, &d1);
  unsigned long long b2 = __builtin_sub_overflow(a2, P2, &t2);
  b2 |= __builtin_sub_overflow(t2, b1, &d2);
  unsigned long long b3 = __builtin_sub_overflow(a3, P3, &t3);
  b3 |= __builtin_sub_overflow(t3, b2, &d3);
  /* b3 set: a < p, keep a. */
  uint64_t keep = (uint64_t)0 - (uint64_t)b3;
  r[0] = (a0 & keep) | (d0 & ~keep);
  r[1] = (a1 & keep) | (d1 & ~keep);
  r[2] = (a2 & keep) | (d2 & ~keep);
  r[3] = (a3 & keep) | (d3 & ~keep);
}

static inline void fadd(fe *r, const fe *a, const fe *b) {
  u128 c = (u128)a->l[0] + b->l[0];
  uint64_t s0 = (uint64_t)c;
  c = (u128)a->l[1] + b->l[1] + (uint64_t)(c >> 64);
  uint64_t s1 = (uint64_t)c;
  c = (u128)a->l[2] + b->l[2] + (uint64_t)(c >> 64);
  uint64_t s2 = (uint64_t)c;
  /* a + b < 2p < 2^255: no carry out of the top limb. */
  uint64_t s3 = a->l[3] + b->l[3] + (uint64_t)(c >> 64);
  reduce_once(r->l, s0, s1, s2, s3);
}
#endif

/* T (8 limbs) += a * b, branch-free; the caller guarantees the sum stays below 2^512. */
static inline void mul_acc(uint64_t T[8], const fe *a, const fe *b) {
  uint64_t prod[8];
  for (int i = 0; i < 4; i++) {
    uint64_t carry = 0;
    for (int j = 0; j < 4; j++) {
      u128 x = (u128)a->l[i] * b->l[j] + (i == 0 ? 0 : prod[i + j]) + carry;
      prod[i + j] = (uint64_t)x;
      carry = (uint64_t)(x >> 64);
    }
    prod[i + 4] = carry;
  }
  unsigned long long c = 0;
  for (int i = 0; i < 8; i++) {
    unsigned long long s1, s2;
    unsigned long long c1 = __builtin_add_overflow((unsigned long long)T[i], (unsigned long long)prod[i], &s1);
    unsigned long long c2 = __builtin_add_overflow(s1, c, &s2);
    T[i] = s2;
    c = c1 | c2;
  }
}

/* r = T * R^-1 mod p for T < p * R, fully reduced. */
static inline void mont_reduce(fe *r, uint64_t T[8]) {
  static const uint64_t P[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL};
  uint64_t c2 = 0;
  for (int i = 0; i < 4; i++) {
    uint64_t m = T[i] * INV;
    uint64_t carry = 0;
    for (int j = 0; j < 4; j++) {
      u128 x = (u128)m * P[j] + T[i + j] + carry;
      T[i + j] = (uint64_t)x;
      carry = (uint64_t)(x >> 64);
    }
    u128 s = (u128)T[i + 4] + carry + c2;
    T[i + 4] = (uint64_t)s;
    c2 = (uint64_t)(s >> 64);
  }
  /* T < pR gives a result < 2p < 2^256, so c2 == 0. */
  reduce_once(r->l, T[4], T[5], T[6], T[7]);
}

#ifdef RAMPART_ASM
/*
 * x86-64 with BMI2/ADX. GCC's code for the portable C below is ~3x longer (spills, setc), so the two
 * inner steps of CIOS Montgomery multiplication are written in assembly, each adding a 4-word
 * product into the running words t0..t4 on two carry chains at once (adox for low halves, adcx for
 * high halves). The loops around them stay in C, which keeps t0..t4 in registers between steps.
 */
typedef struct { uint64_t t0, t1, t2, t3, t4; } acc5;

/* (t0..t4) += x * y; the caller's bounds keep the sum below 2^320. */
static inline __attribute__((always_inline)) void mac_word(acc5 *t, const uint64_t *x, uint64_t y) {
  uint64_t lo, hi;
  __asm__(
      "testq %[z], %[z]\n\t"
      "mulxq 0(%[x]), %[lo], %[hi]\n\t"
      "adoxq %[lo], %[t0]\n\t"
      "adcxq %[hi], %[t1]\n\t"
      "mulxq 8(%[x]), %[lo], %[hi]\n\t"
      "adoxq %[lo], %[t1]\n\t"
      "adcxq %[hi], %[t2]\n\t"
      "mulxq 16(%[x]), %[lo], %[hi]\n\t"
      "adoxq %[lo], %[t2]\n\t"
      "adcxq %[hi], %[t3]\n\t"
      "mulxq 24(%[x]), %[lo], %[hi]\n\t"
      "adoxq %[lo], %[t3]\n\t"
      "adcxq %[hi], %[t4]\n\t"
      "adoxq %[z], %[t4]\n\t"
      : [t0] "+r"(t->t0), [t1] "+r"(t->t1), [t2] "+r"(t->t2), [t3] "+r"(t->t3), [t4] "+r"(t->t4), [lo] "=&r"(lo),
        [hi] "=&r"(hi)
      : [x] "r"(x), "d"(y), [z] "r"((uint64_t)0)
      : "cc", "memory");
}

/* One Montgomery step: t += m * p with m = t0 * -p^-1 (t0 becomes 0), then t >>= 64. */
static inline __attribute__((always_inline)) void mont_step(acc5 *t) {
  mac_word(t, P_LIMBS, t->t0 * INV);
  t->t0 = t->t1;
  t->t1 = t->t2;
  t->t2 = t->t3;
  t->t3 = t->t4;
  t->t4 = 0;
}

/*
 * r = (sum over j < n of a[j] * b[j]) * R^-1 mod p, fully reduced (n <= LAZY): CIOS with the n
 * products of each word of b added before that word's reduction. With every input < p the running
 * value stays below (n + 1) p < 2^320 and ends below (n p / R + 1) p < 2p.
 */
static inline __attribute__((always_inline)) void fdot(fe *r, const fe *a, const fe *b, const int n) {
  acc5 t = {0, 0, 0, 0, 0};
  for (int i = 0; i < 4; i++) {
    for (int j = 0; j < n; j++) mac_word(&t, a[j].l, b[j].l[i]);
    mont_step(&t);
  }
  reduce_once(r->l, t.t0, t.t1, t.t2, t.t3);
}

static inline void fmul(fe *r, const fe *a, const fe *b) { fdot(r, a, b, 1); }
#else
/* Portable C (__int128). */
/* r = a * b * R^-1 (CIOS; p < 2^254, so the running value stays below 2p in five words). */
/* r = a * b * R^-1 (CIOS; p < 2^254, so the running value stays below 2p in four words + carry). */
static inline void fmul(fe *r, const fe *a, const fe *b) {
  uint64_t T[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  mul_acc(T, a, b);
  mont_reduce(r, T);
}

/* r = sum over j < n of a[j] * b[j] * R^-1 (n <= LAZY: one reduction). */
static inline void fdot(fe *r, const fe *a, const fe *b, const int n) {
  uint64_t T[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int j = 0; j < n; j++) mul_acc(T, &a[j], &b[j]);
  mont_reduce(r, T);
}
#endif

static inline void pow5(fe *x) {
  fe x2, x4;
  fmul(&x2, x, x);
  fmul(&x4, &x2, &x2);
  fmul(x, &x4, x);
}

/* r = row . s over n lanes. */
/* r = row . s over n lanes: one reduction per LAZY products. */
static inline void dot(fe *r, const fe *row, const fe *s, int n) {
  fe acc = {{0, 0, 0, 0}};
  for (int from = 0; from < n; from += LAZY) {
    const int count = n - from < LAZY ? n - from : LAZY;
    fe part;
    fdot(&part, row + from, s + from, count);
    if (from == 0) acc = part;
    else fadd(&acc, &acc, &part);
  }
  *r = acc;
}

static inline void mat_mul(fe *s, const fe mat[MAX_T][MAX_T], int t) {
  fe out[MAX_T];
  for (int i = 0; i < t; i++) dot(&out[i], mat[i], s, t);
  for (int i = 0; i < t; i++) s[i] = out[i];
}

static inline void full_round(fe *s, const fe *c, const fe mat[MAX_T][MAX_T], int t) {
  for (int i = 0; i < t; i++) {
    fadd(&s[i], &s[i], &c[i]);
    pow5(&s[i]);
  }
  mat_mul(s, mat, t);
}

/* The permutation, with t a compile-time constant where the caller inlines it. */
static inline __attribute__((always_inline)) void permute_t(const engine *e, fe *s, const int t) {
  for (int r = 0; r < RF; r++) full_round(s, e->firstC[r], r < RF - 1 ? e->m : e->pre, t);
  const int rp = e->rp;
  for (int r = 0; r < rp; r++) {
    fe n0;
    if (t <= LAZY) {
      /* w[r] . (0, s_1..) does not wait for this round's S-box: it overlaps the x^5 chain. */
      fe pre, head;
      fdot(&pre, &e->w[r][1], &s[1], t - 1);
      fadd(&s[0], &s[0], &e->k[r]);
      pow5(&s[0]);
      fmul(&head, &e->w[r][0], &s[0]);
      fadd(&n0, &pre, &head);
    } else {
      fadd(&s[0], &s[0], &e->k[r]);
      pow5(&s[0]);
      dot(&n0, e->w[r], s, t);
    }
    for (int j = 1; j < t; j++) {
      fe prod;
      fmul(&prod, &e->v[r][j - 1], &s[0]);
      fadd(&s[j], &s[j], &prod);
    }
    s[0] = n0;
  }
  for (int r = 0; r < RF; r++) full_round(s, e->lastC[r], e->m, t);
}

static void permute(const engine *e, fe *s) {
  switch (e->t) {
    case 3: permute_t(e, s, 3); break;
    case 5: permute_t(e, s, 5); break;
    default: permute_t(e, s, e->t); break;
  }
}

static inline void load_fe(fe *x, const uint8_t *b) {
  memcpy(x->l, b, 32); /* little-endian host (checked at create) */
}

static inline void to_mont(const engine *e, fe *x) { fmul(x, x, &e->r2); }

static inline void from_mont(fe *x) {
  uint64_t T[8] = {x->l[0], x->l[1], x->l[2], x->l[3], 0, 0, 0, 0};
  mont_reduce(x, T);
}

/* Poseidon of t-1 canonical LE elements at `in` into 32 LE bytes at `out`. */
static void hash_bytes(const engine *e, const uint8_t *in, uint8_t *out) {
  fe s[MAX_T];
  memset(&s[0], 0, sizeof(fe));
  for (int i = 1; i < e->t; i++) {
    load_fe(&s[i], in + 32 * (i - 1));
    to_mont(e, &s[i]);
  }
  permute(e, s);
  from_mont(&s[0]);
  memcpy(out, s[0].l, 32);
}

/* ---- Node-API glue (left out when the arithmetic is compiled alone, e.g. to count instructions) ---- */
#ifndef RAMPART_NO_NAPI
#define NAPI_VERSION 8
#include <node_api.h>

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, "RAMPART_NATIVE", "Node-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, "RAMPART_NATIVE", message);
  return NULL;
}

static napi_value js_hash(napi_env env, napi_callback_info info) {
  void *data;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, NULL, &data));
  engine *e = (engine *)data;
  hash_bytes(e, e->mem + IN_AT, e->mem + OUT_AT);
  return NULL;
}

/* merkle(index, depth, writeNodes): the WASM engine's `merkle` (t = 3): siblings at IN_AT, leaf at
 * LEAF_AT; bit k of index set = the level-k node is a right child; root at OUT_AT, nodes at NODES_AT. */
static napi_value js_merkle(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void *data;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, &data));
  engine *e = (engine *)data;
  uint32_t index, depth, writeNodes;
  if (argc < 3) return throw_error(env, "merkle(index, depth, writeNodes) takes 3 arguments");
  CHECK(napi_get_value_uint32(env, argv[0], &index));
  CHECK(napi_get_value_uint32(env, argv[1], &depth));
  CHECK(napi_get_value_uint32(env, argv[2], &writeNodes));
  if (depth < 1 || depth > 32) return throw_error(env, "merkle depth must be 1..32");
  uint8_t node[32], pair[64];
  memcpy(node, e->mem + LEAF_AT, 32);
  if (writeNodes) memcpy(e->mem + NODES_AT, node, 32);
  for (uint32_t k = 0; k < depth; k++) {
    const uint8_t *sib = e->mem + IN_AT + 32 * k;
    int right = (int)((((uint64_t)index) >> k) & 1);
    memcpy(pair + (right ? 32 : 0), node, 32);
    memcpy(pair + (right ? 0 : 32), sib, 32);
    hash_bytes(e, pair, node);
    if (writeNodes) memcpy(e->mem + NODES_AT + 32 * (k + 1), node, 32);
  }
  memcpy(e->mem + OUT_AT, node, 32);
  return NULL;
}

static void finalize_engine(napi_env env, void *data, void *hint) {
  (void)hint;
  engine *e = (engine *)data;
  if (--e->refs > 0) return;
  if (e->memRef != NULL) napi_delete_reference(env, (napi_ref)e->memRef);
  free(e);
}

static int load_consts(engine *e, const uint8_t *c, size_t len) {
  const int t = e->t, rp = e->rp;
  size_t need = 32 * (size_t)(2 + RF * t + 2 * t * t + rp + rp * t + rp * (t - 1) + RF * t);
  if (len != need) return 0;
#define NEXT(dst) (load_fe(&(dst), c), c += 32)
  NEXT(e->p);
  NEXT(e->r2);
  for (int r = 0; r < RF; r++) for (int i = 0; i < t; i++) NEXT(e->firstC[r][i]);
  for (int i = 0; i < t; i++) for (int j = 0; j < t; j++) NEXT(e->m[i][j]);
  for (int i = 0; i < t; i++) for (int j = 0; j < t; j++) NEXT(e->pre[i][j]);
  for (int r = 0; r < rp; r++) NEXT(e->k[r]);
  for (int r = 0; r < rp; r++) for (int i = 0; i < t; i++) NEXT(e->w[r][i]);
  for (int r = 0; r < rp; r++) for (int i = 0; i < t - 1; i++) NEXT(e->v[r][i]);
  for (int r = 0; r < RF; r++) for (int i = 0; i < t; i++) NEXT(e->lastC[r][i]);
#undef NEXT
  return 1;
}

/* create(t, partialRounds, constants: Uint8Array, memBytes) -> { mem, hash, merkle? } */
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return throw_error(env, "create(t, partialRounds, constants, memBytes) takes 4 arguments");
  const uint16_t probe = 1;
  if (*(const uint8_t *)&probe != 1) return throw_error(env, "the native Poseidon engine needs a little-endian host");
  uint32_t t, rp, memBytes;
  CHECK(napi_get_value_uint32(env, argv[0], &t));
  CHECK(napi_get_value_uint32(env, argv[1], &rp));
  CHECK(napi_get_value_uint32(env, argv[3], &memBytes));
  if (t < 2 || t > MAX_T) return throw_error(env, "t must be 2..17");
  if (rp < 1 || rp > MAX_RP) return throw_error(env, "partialRounds must be 1..80");
  if (memBytes < MEM_MIN) return throw_error(env, "memBytes must be at least 4096");
  bool isTyped;
  CHECK(napi_is_typedarray(env, argv[2], &isTyped));
  if (!isTyped) return throw_error(env, "constants must be a Uint8Array");
  napi_typedarray_type type;
  size_t len;
  void *bytes;
  CHECK(napi_get_typedarray_info(env, argv[2], &type, &len, &bytes, NULL, NULL));
  if (type != napi_uint8_array) return throw_error(env, "constants must be a Uint8Array");

  engine *e = (engine *)calloc(1, sizeof(engine));
  if (e == NULL) return throw_error(env, "out of memory");
  e->t = (int)t;
  e->rp = (int)rp;
  if (!load_consts(e, (const uint8_t *)bytes, len)) {
    free(e);
    return throw_error(env, "constants have the wrong length for t and partialRounds");
  }
  /* The arithmetic is specialised to BN254 Fr. */
  uint64_t inv = 1;
  for (int i = 0; i < 7; i++) inv *= 2 - P0 * inv;
  if (e->p.l[0] != P0 || e->p.l[1] != P1 || e->p.l[2] != P2 || e->p.l[3] != P3 || (uint64_t)0 - inv != INV) {
    free(e);
    return throw_error(env, "the native engine supports only the BN254 scalar field");
  }

  napi_value result, mem, hash;
  void *memData;
  CHECK(napi_create_arraybuffer(env, memBytes, &memData, &mem));
  memset(memData, 0, memBytes);
  e->mem = (uint8_t *)memData;
  CHECK(napi_create_reference(env, mem, 1, (napi_ref *)&e->memRef));
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "mem", mem));
  /* The engine (and, through memRef, its memory) lives as long as any of its functions. */
  CHECK(napi_create_function(env, "hash", NAPI_AUTO_LENGTH, js_hash, e, &hash));
  e->refs++;
  CHECK(napi_add_finalizer(env, hash, e, finalize_engine, NULL, NULL));
  CHECK(napi_set_named_property(env, result, "hash", hash));
  if (t == 3) {
    napi_value merkle;
    CHECK(napi_create_function(env, "merkle", NAPI_AUTO_LENGTH, js_merkle, e, &merkle));
    e->refs++;
    CHECK(napi_add_finalizer(env, merkle, e, finalize_engine, NULL, NULL));
    CHECK(napi_set_named_property(env, result, "merkle", merkle));
  }
  return result;
}

static int set_uint(napi_env env, napi_value obj, const char *name, uint32_t value) {
  napi_value v;
  return napi_create_uint32(env, value, &v) == napi_ok && napi_set_named_property(env, obj, name, v) == napi_ok;
}

/* Exports create(), the memory layout it uses and whether the x86-64 ADX path was compiled in. */
NAPI_MODULE_INIT() {
  napi_value create, layout, arith;
  if (napi_create_function(env, "create", NAPI_AUTO_LENGTH, js_create, NULL, &create) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "create", create) != napi_ok) return NULL;
  if (napi_create_object(env, &layout) != napi_ok) return NULL;
  if (!set_uint(env, layout, "input", IN_AT) || !set_uint(env, layout, "leaf", LEAF_AT) ||
      !set_uint(env, layout, "output", OUT_AT) || !set_uint(env, layout, "nodes", NODES_AT) ||
      !set_uint(env, layout, "minMemory", MEM_MIN))
    return NULL;
  if (napi_set_named_property(env, exports, "layout", layout) != napi_ok) return NULL;
#ifdef RAMPART_ASM
  const char *kind = "x86-64-adx";
#else
  const char *kind = "portable-c";
#endif
  if (napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &arith) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "arithmetic", arith) != napi_ok) return NULL;
  return exports;
}
#endif
