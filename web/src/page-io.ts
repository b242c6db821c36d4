/**
 * Page-side helpers that need no TensorFlow.js (so the page's own bundle stays small; the model
 * lives in the analysis worker): the model URL, and decoding a dropped file to mono samples.
 */
import { decodeAudio } from '../../src/audio/decode.js';
import { SerError } from '../../src/errors.js';

/** The model URL: `?model=URL` of the page, else `models/default/` beside the page. */
export function modelUrlFromPage(loc: Location = location): string {
  const q = new URLSearchParams(loc.search).get('model');
  return new URL(q && q.length > 0 ? q : 'models/default/', document.baseURI).href;
}

/** Mean of the channels (librosa's mono mix-down). */
export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const y = new Float32Array(n);
  for (const c of channels) for (let i = 0; i < n; i++) y[i] += c[i];
  const k = 1 / channels.length;
  for (let i = 0; i < n; i++) y[i] *= k;
  return y;
}

/**
 * Decodes a file with the project's decoder (WAV, FLAC, MP3, Ogg Vorbis); a format it does not
 * read (m4a, webm/opus …) is tried with the browser's own decoder. Returns mono samples and rate.
 */
export async function decodeFile(file: File): Promise<{ y: Float32Array; sr: number; via: string }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    const a = await decodeAudio(bytes, file.name);
    return { y: toMono(a.channels), sr: a.sr, via: 'ser' };
  } catch (e) {
    if (!(e instanceof SerError) || (e.code !== 'EFORMAT' && e.code !== 'ECODEC')) throw e;
    try {
      const ctx = new OfflineAudioContext(1, 1, 48000);
      const buf = await ctx.decodeAudioData(bytes.buffer.slice(0) as ArrayBuffer);
      const chans: Float32Array[] = [];
      for (let c = 0; c < buf.numberOfChannels; c++) chans.push(buf.getChannelData(c));
      return { y: toMono(chans), sr: buf.sampleRate, via: 'browser' };
    } catch {
      throw e;
    }
  }
}

