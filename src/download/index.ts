/** Dataset download (Node only): resumable HTTP, checksums, safe atomic zip extraction, RAVDESS. */
export { downloadResumable, readDownloadState, parseContentRange, defaultStatePath } from './http.js';
export type { DownloadState, DownloadEvent, ResumableDownloadOptions, ResumableDownloadResult } from './http.js';
export { hashFile, verifyChecksum, parseChecksum } from './checksum.js';
export type { Checksum, ChecksumAlgorithm } from './checksum.js';
export { extractZip, extractZipAtomic, safeEntrySegments, tempDirFor, removeStaleExtractions } from './zip.js';
export type { ExtractOptions, ExtractResult, AtomicExtractOptions } from './zip.js';
export { downloadRavdess, countRavdess, manualDownloadHint, RAVDESS_SPEECH, OFFICIAL_CHECKSUM, DONE_MARKER } from './ravdess.js';
export type { RavdessDownloadOptions, RavdessDownloadResult } from './ravdess.js';
