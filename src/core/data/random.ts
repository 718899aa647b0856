// Seeded randomness that is identical on every machine.

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit PRNG built only from integer operations
 * (Math.imul, shifts, xor), so a seed gives the same stream in every JS engine on every platform.
 * Returns floats in [0, 1) with 32 random bits each.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Combines a user seed with a stream number (epoch, purpose) through a murmur3-style finalizer. */
export function mixSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T extends { length: number; [i: number]: any }>(a: T, rand: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** Seeds used for the distinct random streams of a dataset, so changing one never shifts another. */
export const STREAM = { split: 0x5b11, shuffle: 0x5f00, mix: 0x313c, lora: 0x10a4 } as const;
