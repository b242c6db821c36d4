/**
 * `ser predict [--model DIR] FILE... [--json] [--top K] [--backend wasm|cpu]`
 *
 * Prints the predicted emotion and the class probabilities of each file. Files longer than the
 * model's clip length are windowed and the windows' probabilities averaged (the per-window
 * timeline is in the --json output). With --json, stdout is one JSON array:
 *   [{file, label, probabilities: {label: p}, top: [{label, p}], duration, windows: [{t_start, t_end, probabilities}]}]
 * (plus `normalization: {mode, speaker_statistics}` for an utterance- or speaker-normalised model).
 *
 * Speaker-normalised models (bundle normalization.mode 'speaker'): each file is normalised by the
 * statistics of its own audio (shrunk toward the model's speaker prior) — say so on stderr;
 * `--same-speaker` pools all the given files as one speaker's audio, which is what the model was
 * evaluated with and is more accurate when the files really are one speaker.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SerError } from '../../errors.js';
import type { BackendName } from '../../model/backend.js';
import type { Prediction } from '../../model/predict.js';

export const DEFAULT_MODEL_DIR = 'models/default';

/**
 * The model folder to use: `--model` when given; else models/default in the current folder, else
 * the one shipped with the package (src/cli/commands → ../../../models/default, same from dist/).
 */
export function resolveModelDir(given: string | undefined): string {
  if (given !== undefined) return given;
  if (existsSync(DEFAULT_MODEL_DIR)) return DEFAULT_MODEL_DIR;
  const shipped = fileURLToPath(new URL('../../../models/default', import.meta.url));
  return existsSync(shipped) ? shipped : DEFAULT_MODEL_DIR;
}

interface PredictOptions {
  model?: string;
  json?: boolean;
  top: string;
  backend: string;
  windows: boolean;
  sameSpeaker?: boolean;
}

export function parseBackend(name: string): BackendName {
  if (name !== 'wasm' && name !== 'cpu') throw new SerError('EPARAM', `--backend must be 'wasm' or 'cpu', got '${name}'`);
  return name;
}

export function topK(probabilities: Record<string, number>, k: number): { label: string; p: number }[] {
  return Object.entries(probabilities)
    .map(([label, p]) => ({ label, p }))
    .sort((a, b) => b.p - a.p)
    .slice(0, k);
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('predict the emotion of audio files with a model bundle')
    .argument('<files...>', 'audio files (.wav, .flac, .mp3, .ogg)')
    .option('--model <dir>', `model bundle folder (default: ${DEFAULT_MODEL_DIR} here, else the packaged one)`)
    .option('--json', 'print one JSON array on stdout')
    .option('--top <k>', 'how many classes to list per file', '3')
    .option('--no-windows', 'crop / pad every clip to the model clip length as in training, instead of averaging windows over longer clips')
    .option('--backend <name>', "TensorFlow.js backend: 'wasm' or 'cpu'", 'wasm')
    .option(
      '--same-speaker',
      "speaker-normalised models: the files are one speaker — normalise them all by the statistics of all of them together (default: each file by its own audio's statistics, shrunk toward the model's speaker prior)",
    )
    .action(async (files: string[], opts: PredictOptions) => {
      // Heavy modules (tfjs) load only when the command runs, so `ser --help` and other commands stay fast.
      const [{ loadAudio }, { initBackend }, { loadBundle }, { disposeBundle, bundleNormalizer }, { clipFeatures, normalizeClip, predictPrepared, accumulateSpeaker }, { SpeakerStatsAccumulator }] = await Promise.all([
        import('../../audio/load.js'),
        import('../../model/backend.js'),
        import('../../model/bundle-node.js'),
        import('../../model/bundle.js'),
        import('../../model/predict.js'),
        import('../../model/normalizer.js'),
      ]);
      const top = Number(opts.top);
      if (!Number.isInteger(top) || top < 1) throw new SerError('EPARAM', `--top must be a positive integer, got '${opts.top}'`);
      await initBackend(parseBackend(opts.backend));
      const bundle = await loadBundle(resolveModelDir(opts.model));
      try {
        const norm = bundleNormalizer(bundle);
        const pooled = norm.mode === 'speaker' && opts.sameSpeaker === true;
        // a note only where there is a choice: with one file there is nothing to pool
        if (norm.mode === 'speaker' && (pooled || files.length > 1)) {
          process.stderr.write(
            pooled
              ? `ser: speaker-normalised model: the ${files.length} file(s) are normalised together as one speaker's audio (--same-speaker)\n`
              : `ser: speaker-normalised model: each file is normalised by its own audio's statistics (shrunk toward the model's speaker prior); pass --same-speaker when the files are one speaker\n`,
          );
        }
        const features = async (file: string) => {
          const audio = await loadAudio(file, { sr: bundle.meta.sample_rate });
          try {
            return clipFeatures(bundle, audio.y, audio.sr, { windows: opts.windows });
          } catch (e) {
            if (e instanceof SerError && e.file === undefined) throw new SerError(e.code, e.message, { file, cause: e });
            throw e;
          }
        };
        // --same-speaker: every file's frames first, one set of statistics for all of them
        let speaker: import('../../data/preprocess.js').ZScoreStats | undefined;
        const pre = new Map<string, Awaited<ReturnType<typeof features>>>();
        if (pooled) {
          const acc = new SpeakerStatsAccumulator(norm.cols);
          for (const file of files) {
            const f = await features(file);
            pre.set(file, f);
            accumulateSpeaker(acc, f);
          }
          speaker = norm.speakerStats(acc);
        }
        const normalization = norm.mode === 'global' ? undefined : { mode: norm.mode, speaker_statistics: norm.mode === 'speaker' ? (pooled ? 'all files' : 'this file') : null };
        const out: (Prediction & { file: string; top: { label: string; p: number }[] })[] = [];
        for (const file of files) {
          const f = pre.get(file) ?? (await features(file));
          const pred: Prediction = predictPrepared(bundle, [normalizeClip(bundle, f, { speaker })])[0];
          const entry = { file, ...pred, top: topK(pred.probabilities, top) };
          out.push(entry);
          if (!opts.json) {
            const list = entry.top.map((t) => `${t.label} ${t.p.toFixed(3)}`).join('  ');
            process.stdout.write(`${file}: ${pred.label}  (${list})${pred.windows.length > 1 ? `  [${pred.windows.length} windows]` : ''}\n`);
          }
        }
        if (opts.json) {
          const ordered = out.map((e) => ({ file: e.file, label: e.label, probabilities: e.probabilities, top: e.top, duration: e.duration, windows: e.windows, ...(normalization ? { normalization } : {}) }));
          process.stdout.write(JSON.stringify(ordered, null, 2) + '\n');
        }
      } finally {
        disposeBundle(bundle);
      }
    });
}
