/**
 * CSV manifest: a header row naming the columns, then one row per file. Columns (by header name,
 * case-insensitive; any order; other columns are kept in `meta`):
 * - `path` (or `file`, `filename`): the audio file, relative to the CSV's folder (or absolute);
 * - `label` (or `emotion`): a label name, mapped through the synonym table of ../labels.ts;
 * - `speaker` (optional): the speaker id; missing or empty → `unknown` (all such rows count as
 *   one speaker, so speaker-independent splits keep them together);
 * - `dataset` (optional): the corpus name, default `manifest`.
 * Speaker id: `<dataset>:<speaker>`.
 *
 * Fields follow RFC 4180: separated by commas, optionally "quoted", with "" for a quote inside a
 * quoted field and commas or newlines allowed inside quotes. Browser-safe (pure text parsing).
 */
import { SerError } from '../../errors.js';
import { normalizeLabel } from '../labels.js';
import type { DatasetProblem, Emotion, MetaValue } from '../types.js';

/**
 * Parses CSV text into rows of fields (RFC 4180; CRLF or LF line ends; a UTF-8 BOM is dropped;
 * blank lines skipped). Throws SerError('EDATA') on an unterminated quote, naming `file`.
 */
export function parseCsv(text: string, file = 'CSV'): string[][] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let inQuotes = false;
  let quotedField = false;
  let line = 1;
  let quoteLine = 0;
  const endRow = () => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '' && !quotedField)) rows.push(row);
    row = [];
    field = '';
    quotedField = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field.length === 0 && !quotedField) {
      inQuotes = true;
      quotedField = true;
      quoteLine = line;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      quotedField = false;
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      endRow();
      line++;
      i += 2;
    } else if (c === '\n' || c === '\r') {
      endRow();
      line++;
      i++;
    } else {
      field += c;
      i++;
    }
  }
  if (inQuotes) throw new SerError('EDATA', `unterminated quoted field starting on line ${quoteLine}`, { file });
  if (field.length > 0 || row.length > 0 || quotedField) endRow();
  return rows;
}

export interface ManifestRow {
  /** As written in the CSV (resolve it against the CSV's folder). */
  path: string;
  label: Emotion;
  speaker: string;
  dataset: string;
  /** Extra columns, by header name. */
  extra: Record<string, MetaValue>;
  /** 1-based line of the CSV row (the header is row 1). */
  row: number;
}

const PATH_COLS = ['path', 'file', 'filename', 'file_path', 'filepath'];
const LABEL_COLS = ['label', 'emotion'];

/**
 * Parses a manifest's text into rows; rows with an empty path, an unknown label or a wrong number
 * of fields become problems (`file` names the CSV and its row). Throws SerError('EDATA') when the
 * header lacks a path or label column, or the manifest has no rows.
 */
export function parseManifest(text: string, csvName: string): { rows: ManifestRow[]; problems: DatasetProblem[] } {
  const table = parseCsv(text, csvName);
  if (table.length === 0) throw new SerError('EDATA', 'empty manifest (expected a header row path,label[,speaker])', { file: csvName });
  const header = table[0].map((h) => h.trim().toLowerCase());
  const pathCol = header.findIndex((h) => PATH_COLS.includes(h));
  const labelCol = header.findIndex((h) => LABEL_COLS.includes(h));
  if (pathCol < 0 || labelCol < 0) {
    throw new SerError(
      'EDATA',
      `manifest header must name a 'path' and a 'label' column (found: ${header.join(', ') || 'nothing'})`,
      { file: csvName },
    );
  }
  const speakerCol = header.indexOf('speaker');
  const datasetCol = header.indexOf('dataset');
  const rows: ManifestRow[] = [];
  const problems: DatasetProblem[] = [];
  for (let r = 1; r < table.length; r++) {
    const f = table[r];
    const where = `${csvName} row ${r + 1}`;
    if (f.length !== header.length) {
      problems.push({ file: where, reason: `${f.length} fields where the header has ${header.length}` });
      continue;
    }
    const path = f[pathCol].trim();
    if (!path) {
      problems.push({ file: where, reason: 'empty path' });
      continue;
    }
    const label = normalizeLabel(f[labelCol]);
    if (!label) {
      problems.push({ file: where, reason: `unknown label '${f[labelCol]}'` });
      continue;
    }
    const dataset = (datasetCol >= 0 ? f[datasetCol].trim() : '') || 'manifest';
    const spk = (speakerCol >= 0 ? f[speakerCol].trim() : '') || 'unknown';
    const extra: Record<string, MetaValue> = {};
    header.forEach((h, j) => {
      if (j !== pathCol && j !== labelCol && j !== speakerCol && j !== datasetCol && h) extra[h] = f[j];
    });
    rows.push({ path, label, speaker: `${dataset}:${spk}`, dataset, extra, row: r + 1 });
  }
  return { rows, problems };
}
