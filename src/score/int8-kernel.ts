/**
 * int8 item rows · a user vector, as a hand-assembled WebAssembly SIMD function (no toolchain, no
 * file to fetch: the bytes are built below). Plain JS took ~7 ns per multiply-add here (500 ms for
 * 1M × 64 on the loaded 2-core box), ten times the wasm floor; tfjs has no int8 product.
 *
 * score(codes, scales, rows, dim16, user, userScale, out), all pointers into the module's memory:
 *   out[r] = (Σ_j codes[r·D + j] · user[j]) · bf16(scales[r]) · userScale,  D = 16 · dim16
 * codes: Int8 rows; scales: the upper halves of Float32 scales (bfloat16, so the scale costs 2
 * bytes a row: 1M rows at D 64 fit 64 MiB); user: Int16 (the vector quantised at 1/32767 of its
 * largest value, far finer than the int8 rows). Each 16 codes are widened to two i16x8 and
 * multiplied-and-pair-summed into i32 lanes (i32x4.dot_i16x8_s): |sum| ≤ D · 127 · 32767 < 2³¹
 * for D ≤ 512.
 */
export interface Int8Kernel {
  memory: WebAssembly.Memory;
  score(codes: number, scales: number, rows: number, dim16: number, user: number, userScale: number, out: number): void;
}

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const str = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// opcodes (WebAssembly core + SIMD; SIMD ones are 0xfd then a LEB128 index)
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32c = (v: number) => [0x41, ...uleb(v)]; // small non-negative constants only
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_SHL = 0x74;
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const V128_LOAD = (offset: number) => simd(0x00, 0, ...uleb(offset));
const EXT_LO = simd(0x87), EXT_HI = simd(0x88), DOT = simd(0xba), I32X4_ADD = simd(0xae);
const lane = (l: number) => simd(0x1b, l);

// params 0 codes, 1 scales, 2 rows, 3 dim16, 4 user, 5 userScale (f32), 6 out; locals 7 c, 8 up (i32), 9 acc, 10 v (v128)
const [CODES, SCALES, ROWS, DIM16, USER, USCALE, OUT, C, UP, ACC, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const code = [
  0x02, 0x40, // block (no rows: nothing to do)
  ...get(ROWS), 0x45, 0x0d, 0x00, // br_if 0 when rows == 0
  0x03, 0x40, // loop over rows
  ...simd(0x0c, ...new Array(16).fill(0)), ...set(ACC),
  ...get(USER), ...set(UP),
  ...get(DIM16), ...set(C),
  0x03, 0x40, // loop over 16-code chunks
  ...get(CODES), ...V128_LOAD(0), ...set(V),
  ...get(ACC),
  ...get(V), ...EXT_LO, ...get(UP), ...V128_LOAD(0), ...DOT, ...I32X4_ADD,
  ...get(V), ...EXT_HI, ...get(UP), ...V128_LOAD(16), ...DOT, ...I32X4_ADD,
  ...set(ACC),
  ...get(CODES), ...i32c(16), I32_ADD, ...set(CODES),
  ...get(UP), ...i32c(32), I32_ADD, ...set(UP),
  ...get(C), ...i32c(1), I32_SUB, ...tee(C), 0x0d, 0x00, // br_if chunks
  0x0b, // end chunks
  ...get(OUT), // store address
  ...get(ACC), ...lane(0), ...get(ACC), ...lane(1), I32_ADD, ...get(ACC), ...lane(2), I32_ADD, ...get(ACC), ...lane(3), I32_ADD,
  0xb2, // f32.convert_i32_s
  ...get(SCALES), 0x2f, 0x01, 0x00, ...i32c(16), I32_SHL, 0xbe, // i32.load16_u, << 16, f32.reinterpret_i32: the bf16 scale
  0x94, // f32.mul
  ...get(USCALE), 0x94,
  0x38, 0x02, 0x00, // f32.store
  ...get(SCALES), ...i32c(2), I32_ADD, ...set(SCALES),
  ...get(OUT), ...i32c(4), I32_ADD, ...set(OUT),
  ...get(ROWS), ...i32c(1), I32_SUB, ...tee(ROWS), 0x0d, 0x00, // br_if rows
  0x0b, // end rows
  0x0b, // end block
  0x0b, // end function
];
const locals = [2, 2, 0x7f, 2, 0x7b]; // 2 entries: 2 × i32 (c, up), 2 × v128 (acc, v)
const func = [...locals, ...code];
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 7, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7d, 0x7f, 0]),
  ...section(3, [1, 0]),
  ...section(5, [1, 0x00, 1]),
  ...section(7, [2, ...str('mem'), 0x02, 0, ...str('score'), 0x00, 0]),
  ...section(10, [1, ...uleb(func.length), ...func]),
]);

let compiled: WebAssembly.Module | null | undefined;

/** A fresh instance (its own memory), or null where WebAssembly SIMD is not available. */
export function int8Kernel(): Int8Kernel | null {
  if (compiled === undefined) {
    try {
      compiled = typeof WebAssembly !== 'undefined' && WebAssembly.validate(MODULE) ? new WebAssembly.Module(MODULE) : null;
    } catch {
      compiled = null;
    }
  }
  if (!compiled) return null;
  const inst = new WebAssembly.Instance(compiled, {});
  const ex = inst.exports as unknown as { mem: WebAssembly.Memory; score: Int8Kernel['score'] };
  return { memory: ex.mem, score: ex.score };
}

/** The bfloat16 (upper 16 bits) at or above |x|'s Float32: a scale rounded up never lets a code pass 127. */
export function bf16Up(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  if (u[0] & 0xffff) u[0] = (u[0] & 0xffff0000) + 0x10000;
  return f[0];
}
