/**
 * `ser evaluate --model DIR --data DIR... [--json] [--dataset NAME] [--backend wasm|cpu]`
 *
 * Predicts every labelled recording of the data folders (or CSV manifests) with the bundle and
 * prints accuracy, macro-F1, UAR, per-class figures and the confusion matrix. Recordings whose
 * label the model does not know are skipped and counted (`skipped`, by label in
 * `skipped_labels`), never guessed. With --json, stdout is one object:
 *   {protocol, n, labels, accuracy, macro_f1, uar, confusion, skipped, skipped_labels, per_class, problems, seen_speakers}
 * When the bundle lists its training speakers (training.data.speakers), recordings of those
 * speakers are counted in `seen_speakers` and a warning says the figures are not speaker-independent.
 * `protocol` describes this evaluation: {name: 'folders', data: [{dir, dataset}], model_protocol}
 * where model_protocol is the split the model was trained under (from its bundle).
 *
 * Normalisation follows the bundle (src/model/normalizer.ts). For a speaker-normalised model the
 * recordings are grouped by their dataset speaker, and each speaker's statistics come from all of
 * that speaker's evaluated recordings (shrunk toward the model's prior) — exactly what training
 * does for held-out speakers, so with --no-windows `ser evaluate` on a fold's test speakers
 * reproduces the fold's figures. `normalization: {mode, speakers}` is added to the JSON then.
 */
import type { Command } from 'commander';
import { SerError } from '../../errors.js';
import { loadDataset } from '../../data/load.js';
import type { DatasetName } from '../../data/types.js';
import type { ClipFeatures, PreparedClip } from '../../model/predict.js';
import type { ZScoreStats } from '../../data/preprocess.js';
import { createProgress } from '../../util/progress.js';
import { parseBackend } from './predict.js';

interface EvaluateOptions {
  model: string;
  data: string[];
  json?: boolean;
  dataset: string;
  backend: string;
  windows: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('evaluate a model bundle on labelled data folders')
    .requiredOption('--model <dir>', 'model bundle folder')
    .requiredOption('--data <dirs...>', 'data folders or CSV manifests')
    .option('--dataset <name>', "layout of the data folders ('auto' detects each)", 'auto')
    .option('--json', 'print one JSON object on stdout')
    .option('--no-windows', 'crop / pad every clip to the model clip length as in training, instead of averaging windows over longer clips')
    .option('--backend <name>', "TensorFlow.js backend: 'wasm' or 'cpu'", 'wasm')
    .option('--quiet', 'no progress display')
    .action(async (opts: EvaluateOptions) => {
      // Heavy modules (tfjs) load only when the command runs.
      const [
        { loadAudio },
        { initBackend },
        { loadBundle },
        { disposeBundle, trainingSpeakers, bundleNormalizer },
        { evaluateMetrics },
        { predictPrepared, clipFeatures, normalizeClip, accumulateSpeaker },
        { SpeakerStatsAccumulator },
      ] = await Promise.all([
          import('../../audio/load.js'),
          import('../../model/backend.js'),
          import('../../model/bundle-node.js'),
          import('../../model/bundle.js'),
          import('../../model/metrics.js'),
          import('../../model/predict.js'),
          import('../../model/normalizer.js'),
        ]);
      await initBackend(parseBackend(opts.backend));
      const bundle = await loadBundle(opts.model);
      try {
        const ds = await loadDataset(opts.data, { dataset: opts.dataset as 'auto' | DatasetName, emotions: 'all' });
        const labels = bundle.meta.labels;
        const index = new Map(labels.map((l, i) => [l, i]));
        const norm = bundleNormalizer(bundle);
        let known = ds.items.filter((it) => index.has(it.label));
        // speaker mode: one speaker after the other (their statistics need all their recordings)
        if (norm.mode === 'speaker') {
          const order = new Map<string, number>();
          for (const it of known) if (!order.has(it.speaker)) order.set(it.speaker, order.size);
          known = known.map((it, i) => ({ it, i })).sort((a, b) => order.get(a.it.speaker)! - order.get(b.it.speaker)! || a.i - b.i).map((x) => x.it);
        }
        const skippedLabels: Record<string, number> = {};
        for (const it of ds.items) if (!index.has(it.label)) skippedLabels[it.label] = (skippedLabels[it.label] ?? 0) + 1;
        const skipped = ds.items.length - known.length;
        if (known.length === 0) {
          throw new SerError('EDATA', `no recording of ${opts.data.join(', ')} has a label the model knows (${labels.join(', ')}); ${skipped} skipped`);
        }
        const yTrue = new Int32Array(known.length);
        const yPred = new Int32Array(known.length);
        const progress = createProgress({ total: known.length, label: 'evaluate', quiet: opts.quiet });
        const features = async (it: (typeof known)[number]) => {
          const audio = await loadAudio(it.path, { sr: bundle.meta.sample_rate });
          try {
            return clipFeatures(bundle, audio.y, audio.sr, { windows: opts.windows });
          } catch (e) {
            if (e instanceof SerError && e.file === undefined) throw new SerError(e.code, e.message, { file: it.path, cause: e });
            throw e;
          }
        };
        try {
          // files are prepared one by one, the model runs once per group of files (batched windows)
          const GROUP = 8;
          const run = async (items: typeof known, offset: number, speaker?: ZScoreStats, ready?: ClipFeatures[]) => {
            for (let g = 0; g < items.length; g += GROUP) {
              const group = items.slice(g, g + GROUP);
              const preps: PreparedClip[] = [];
              for (let j = 0; j < group.length; j++) preps.push(normalizeClip(bundle, ready ? ready[g + j] : await features(group[j]), { speaker }));
              predictPrepared(bundle, preps).forEach((p, j) => {
                yTrue[offset + g + j] = index.get(group[j].label)!;
                yPred[offset + g + j] = index.get(p.label)!;
              });
              progress.tick(group.length);
            }
          };
          if (norm.mode === 'speaker') {
            for (let a = 0; a < known.length; ) {
              let b = a;
              while (b < known.length && known[b].speaker === known[a].speaker) b++;
              const items = known.slice(a, b);
              const feats: ClipFeatures[] = [];
              const acc = new SpeakerStatsAccumulator(norm.cols);
              for (const it of items) feats.push(await features(it));
              for (const f of feats) accumulateSpeaker(acc, f);
              await run(items, a, norm.speakerStats(acc), feats);
              a = b;
            }
          } else {
            await run(known, 0);
          }
        } finally {
          progress.stop();
        }
        const m = evaluateMetrics(yTrue, yPred, labels);
        // honest evaluation: flag recordings of speakers the model was trained on (when the bundle lists them)
        const seen = trainingSpeakers(bundle.meta);
        const seenItems = seen ? known.filter((it) => seen.has(it.speaker)) : [];
        const seenSpeakers = [...new Set(seenItems.map((it) => it.speaker))].sort();
        if (seenItems.length > 0) {
          process.stderr.write(
            `ser: warning: ${seenItems.length} of ${known.length} evaluated recordings are from ${seenSpeakers.length} speaker(s) the model was trained on ` +
              `(${seenSpeakers.slice(0, 8).join(', ')}${seenSpeakers.length > 8 ? ', ...' : ''}): these figures are not speaker-independent\n`,
          );
        }
        const result = {
          protocol: { name: 'folders', data: ds.sources, model_protocol: bundle.meta.training.protocol ?? null },
          n: m.n,
          labels,
          accuracy: m.accuracy,
          macro_f1: m.macro_f1,
          uar: m.uar,
          confusion: m.confusion,
          skipped,
          skipped_labels: skippedLabels,
          per_class: m.per_class,
          problems: ds.problems.length,
          /** Evaluated recordings whose speaker was in the training data (null: the bundle does not say). */
          seen_speakers: seen ? { recordings: seenItems.length, speakers: seenSpeakers } : null,
          ...(norm.mode === 'global' ? {} : { normalization: { mode: norm.mode, speakers: norm.mode === 'speaker' ? new Set(known.map((it) => it.speaker)).size : null } }),
        };
        if (opts.json) {
          process.stdout.write(JSON.stringify(result, null, 2) + '\n');
          return;
        }
        const pct = (v: number) => (100 * v).toFixed(1) + '%';
        const w = Math.max(...labels.map((l) => l.length), 9);
        const lines = [
          `model ${opts.model} on ${ds.sources.map((s) => `${s.dir} (${s.dataset})`).join(', ')}`,
          `n ${m.n}  accuracy ${pct(m.accuracy)}  UAR ${pct(m.uar)}  macro-F1 ${pct(m.macro_f1)}  skipped ${skipped}${ds.problems.length ? `  unreadable names ${ds.problems.length}` : ''}`,
          '',
          `${'class'.padEnd(w)}  precision  recall     f1  support`,
          ...labels.map((l) => {
            const c = m.per_class[l];
            return `${l.padEnd(w)}  ${pct(c.precision).padStart(9)}  ${pct(c.recall).padStart(6)}  ${pct(c.f1).padStart(6)}  ${String(c.support).padStart(7)}`;
          }),
          '',
          `confusion (rows: true, columns: predicted)`,
          `${''.padEnd(w)}  ${labels.map((l) => l.slice(0, 7).padStart(7)).join(' ')}`,
          ...labels.map((l, i) => `${l.padEnd(w)}  ${m.confusion[i].map((v) => String(v).padStart(7)).join(' ')}`),
        ];
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        disposeBundle(bundle);
      }
    });
}
