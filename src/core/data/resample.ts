// Image resizing as Pillow's Image.resize does it, which is what Hugging Face image processors run: a separable,
// antialiased convolution (the filter widens by the scale when shrinking), horizontal pass first, each pass rounded
// to uint8. libvips' resize differs by several levels when shrinking and far more when enlarging.

export type Kernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

const sinc = (x: number) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
const FILTERS: Record<Exclude<Kernel, 'nearest'>, { support: number; f: (x: number) => number }> = {
  linear: { support: 1, f: (x) => Math.max(0, 1 - Math.abs(x)) },
  cubic: {
    support: 2,
    f: (x) => {
      const a = -0.5, t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos3: { support: 3, f: (x) => (Math.abs(x) < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** Per output index: the first input index and the normalized weights (Pillow's precompute_coeffs). */
function coefficients(inSize: number, outSize: number, kernel: Kernel): { first: number; weights: number[] }[] {
  const scale = inSize / outSize;
  if (kernel === 'nearest') {
    return Array.from({ length: outSize }, (_, x) => ({ first: Math.min(inSize - 1, Math.floor((x + 0.5) * scale)), weights: [1] }));
  }
  const { support: base, f } = FILTERS[kernel];
  const filterScale = Math.max(scale, 1);
  const support = base * filterScale;
  return Array.from({ length: outSize }, (_, x) => {
    const center = (x + 0.5) * scale;
    const first = Math.max(Math.trunc(center - support + 0.5), 0);
    const last = Math.min(Math.trunc(center + support + 0.5), inSize);
    const weights = Array.from({ length: last - first }, (_, k) => f((k + first - center + 0.5) / filterScale));
    const total = weights.reduce((a, b) => a + b, 0);
    return { first, weights: total === 0 ? weights : weights.map((w) => w / total) };
  });
}

const toByte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v + 0.5));

/** One pass along x (`horizontal`) or y of interleaved `channels`-channel uint8 pixels. */
function pass(src: Uint8Array, w: number, h: number, channels: number, size: number, horizontal: boolean, kernel: Kernel): Uint8Array {
  const coeffs = coefficients(horizontal ? w : h, size, kernel);
  const [ow, oh] = horizontal ? [size, h] : [w, size];
  const tap = horizontal ? channels : w * channels; // distance between neighbouring input pixels along the pass
  const out = new Uint8Array(ow * oh * channels);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const { first, weights } = coeffs[horizontal ? x : y];
      const base = (horizontal ? y * w + first : first * w + x) * channels;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < weights.length; k++) acc += src[base + k * tap + c] * weights[k];
        out[(y * ow + x) * channels + c] = toByte(acc);
      }
    }
  }
  return out;
}

/** Resizes interleaved uint8 pixels (w × h × channels) to width × height. */
export function resizePixels(src: Uint8Array, w: number, h: number, channels: number, width: number, height: number, kernel: Kernel): Uint8Array {
  const across = width === w ? src : pass(src, w, h, channels, width, true, kernel);
  return height === h ? across : pass(across, width, h, channels, height, false, kernel);
}
