/**
 * Input classes that once reached past validation (issue #15.9): each must end in a documented
 * answer, never a 500 or a dead process.
 */
import fc from 'fast-check';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

/** Names an emoji may take that a plain object already has: a reaction map must use own properties only. */
export const prototypeNames = ['constructor', '__proto__', 'toString', 'hasOwnProperty'] as const;
export const prototypeName = (): fc.Arbitrary<string> => fc.constantFrom(...prototypeNames);

/** Text holding an unpaired UTF-16 surrogate (`"\ud800"` in JSON): no Unicode character, so no UTF-8 form. */
export const loneSurrogateText = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 8 }))
    .map(([before, unit, after]) => `${before}${String.fromCharCode(unit)}${after}`);

/** A path segment that decodeURIComponent refuses: stray `%`, non-hex digits, cut or invalid UTF-8, a surrogate's bytes. */
export const malformedEscape = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.stringMatching(/^[a-z0-9]{0,6}$/),
      fc.constantFrom('%', '%%', '%2', '%zz', '%G0', '%u0041', '%E0%A4%A', '%C0%AF', '%FF', '%ED%A0%80', '%F4%90%80%80', '%C3'),
    )
    .map(([prefix, escape]) => `${prefix}${escape}`);

const compressors = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };

/** A valid JSON body, compressed and cut short of its end (the compressed stream never completes). */
export const truncatedCompressedBody = (body: () => unknown): fc.Arbitrary<{ encoding: string; bytes: Buffer }> =>
  fc.tuple(fc.constantFrom(...(Object.keys(compressors) as (keyof typeof compressors)[])), fc.double({ min: 0, max: 1, noNaN: true })).map(([encoding, cut]) => {
    const whole = compressors[encoding](Buffer.from(JSON.stringify(body())));
    return { encoding, bytes: whole.subarray(0, 1 + Math.floor(cut * (whole.length - 2))) };
  });
