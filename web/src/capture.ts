/**
 * Microphone capture: getUserMedia → AudioContext (device rate) → AudioWorklet (mono ~20 ms
 * Float32 chunks). Errors are turned into a {@link MicError} with a kind the page can explain.
 */
import workletUrl from './capture-worklet.ts?worker&url';

export type MicErrorKind = 'denied' | 'nomic' | 'busy' | 'insecure' | 'unsupported' | 'other';

export class MicError extends Error {
  constructor(readonly kind: MicErrorKind, message: string) {
    super(message);
    this.name = 'MicError';
  }
}

export interface Capture {
  /** The rate of the posted chunks (the AudioContext's rate, chosen by the device). */
  readonly sampleRate: number;
  /** Name of the input device, when the browser tells it. */
  readonly deviceLabel: string;
  stop(): Promise<void>;
}

/** Maps a getUserMedia rejection to a MicError with a sentence for the page. */
export function micErrorFrom(e: unknown): MicError {
  const name = (e as { name?: string } | null)?.name ?? '';
  const msg = (e as { message?: string } | null)?.message ?? String(e);
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return new MicError('denied', 'Microphone access was denied. Allow the microphone for this page in your browser settings (the lock icon in the address bar) and press Start again.');
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return new MicError('nomic', 'No microphone was found. Connect one (or pick an input device in your system settings) and press Start again — or drop a recording below.');
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return new MicError('busy', 'The microphone could not be opened: another application may be using it.');
    default:
      return new MicError('other', `The microphone could not be started (${name || 'error'}: ${msg}).`);
  }
}

/**
 * Opens the microphone and calls `onChunk(samples)` with mono chunks at `sampleRate`.
 * Throws MicError (denied, nomic, busy, insecure, unsupported, other).
 */
export async function startCapture(onChunk: (samples: Float32Array) => void): Promise<Capture> {
  if (!window.isSecureContext) {
    throw new MicError('insecure', 'The microphone needs a secure page: open the app over https:// or from localhost.');
  }
  if (!navigator.mediaDevices?.getUserMedia) throw new MicError('unsupported', 'This browser cannot record audio (no getUserMedia).');
  if (typeof AudioWorkletNode === 'undefined') throw new MicError('unsupported', 'This browser has no AudioWorklet support; use a current Chrome, Firefox or Safari.');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: { ideal: 1 } },
      video: false,
    });
  } catch (e) {
    throw micErrorFrom(e);
  }
  const track = stream.getAudioTracks()[0];
  if (!track) {
    stream.getTracks().forEach((t) => t.stop());
    throw new MicError('nomic', 'No microphone was found (the browser returned no audio track).');
  }
  const ctx = new AudioContext({ latencyHint: 'interactive' });
  try {
    await ctx.audioWorklet.addModule(workletUrl);
    const src = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, 'ser-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCountMode: 'explicit', channelCount: 2, channelInterpretation: 'speakers' });
    node.port.onmessage = (e: MessageEvent) => {
      if (e.data?.type === 'chunk') onChunk(e.data.samples as Float32Array);
    };
    src.connect(node);
    if (ctx.state !== 'running') await ctx.resume();
    let stopped = false;
    return {
      sampleRate: ctx.sampleRate,
      deviceLabel: track.label,
      async stop() {
        if (stopped) return;
        stopped = true;
        node.port.postMessage({ type: 'stop' });
        node.port.onmessage = null;
        src.disconnect();
        stream.getTracks().forEach((t) => t.stop());
        await ctx.close();
      },
    };
  } catch (e) {
    stream.getTracks().forEach((t) => t.stop());
    await ctx.close().catch(() => undefined);
    throw new MicError('other', `The audio pipeline could not start: ${(e as Error).message}`);
  }
}
