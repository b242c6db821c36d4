/**
 * The list of sub-commands; each module in this folder exports `register(program)`.
 * To add one: import its register function here and append it to `commands` (one line each).
 */
import type { Command } from 'commander';
import { register as augment } from './augment.js';
import { register as dataset } from './dataset.js';
import { register as predict } from './predict.js';
import { register as evaluate } from './evaluate.js';
import { register as features } from './features.js';
import { register as report } from './report.js';
import { register as train } from './train.js';
import { register as stream } from './stream.js';
import { register as listen } from './listen.js';
import { register as serve } from './serve.js';
import { register as download } from './download.js';

export type Register = (program: Command) => void;

export const commands: Register[] = [
  dataset,
  augment,
  predict,
  evaluate,
  features,
  report,
  train,
  stream,
  listen,
  serve,
  download,
];
