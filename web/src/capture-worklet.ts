/**
 * AudioWorklet processor: mixes the microphone input down to mono (mean of the channels, as
 * librosa does) and posts Float32Array chunks of ~20 ms (at the context's own rate, whatever the
 * device gives: 44.1 / 48 kHz …) to the page, which resamples them to the model's rate.
 *
 * Message to the page: {type: 'chunk', samples: Float32Array} (buffer transferred).
 * Message from the page: {type: 'stop'} ends the processor.
 */

// Minimal typings of the AudioWorkletGlobalScope (not in TypeScript's DOM lib).
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessor): void;

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly size = Math.max(128, Math.round(sampleRate * 0.02));
  private buf = new Float32Array(this.size);
  private n = 0;
  private stopped = false;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent) => {
      if (e.data && e.data.type === 'stop') this.stopped = true;
    };
  }

  process(inputs: Float32Array[][]): boolean {
    if (this.stopped) return false;
    const chans = inputs[0];
    if (!chans || chans.length === 0) return true;
    const len = chans[0].length;
    const k = chans.length;
    for (let i = 0; i < len; i++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += chans[c][i];
      this.buf[this.n++] = s / k;
      if (this.n === this.size) {
        this.port.postMessage({ type: 'chunk', samples: this.buf }, [this.buf.buffer]);
        this.buf = new Float32Array(this.size);
        this.n = 0;
      }
    }
    return true;
  }
}

registerProcessor('ser-capture', CaptureProcessor);
