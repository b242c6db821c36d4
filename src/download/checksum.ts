/**
 * Whole-file checksums for downloaded archives (Node): md5 (what Zenodo publishes per file) and
 * sha256, computed by streaming the file so memory stays bounded for archives of any size.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { SerError } from '../errors.js';

export type ChecksumAlgorithm = 'md5' | 'sha256';

/** An expected checksum: algorithm and lower-case hex digest. */
export interface Checksum {
  algorithm: ChecksumAlgorithm;
  hex: string;
}

const HEX_LENGTH: Record<ChecksumAlgorithm, number> = { md5: 32, sha256: 64 };

/**
 * Validates a hex digest given on the command line (`--md5 HEX`, `--sha256 HEX`). Accepts upper or
 * lower case and an optional `md5:` / `sha256:` prefix (the form Zenodo shows). Throws SerError
 * EPARAM naming the option when the text is not a digest of the right length.
 */
export function parseChecksum(algorithm: ChecksumAlgorithm, text: string): Checksum {
  let hex = text.trim().toLowerCase();
  if (hex.startsWith(`${algorithm}:`)) hex = hex.slice(algorithm.length + 1);
  const n = HEX_LENGTH[algorithm];
  if (!new RegExp(`^[0-9a-f]{${n}}$`).test(hex)) {
    throw new SerError('EPARAM', `--${algorithm} must be ${n} hexadecimal digits; got '${text}'`);
  }
  return { algorithm, hex };
}

/** Hex digest of the whole file at `path` (streamed). Throws SerError ENOENT/EIO naming the file. */
export async function hashFile(path: string, algorithm: ChecksumAlgorithm): Promise<string> {
  const hash = createHash(algorithm);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ENOENT' : 'EIO';
    throw new SerError(code, `cannot read for the checksum (${(err as Error).message})`, { file: path, cause: err });
  }
  return hash.digest('hex');
}

/**
 * Checks the file against `expected`; throws SerError EFORMAT naming the file, the expected and the
 * actual digest when they differ. Returns the actual digest.
 */
export async function verifyChecksum(path: string, expected: Checksum): Promise<string> {
  const actual = await hashFile(path, expected.algorithm);
  if (actual !== expected.hex) {
    throw new SerError(
      'EFORMAT',
      `${expected.algorithm} checksum mismatch: expected ${expected.hex}, got ${actual} (corrupt or different file)`,
      { file: path },
    );
  }
  return actual;
}
