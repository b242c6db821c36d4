"""Reference run for `npm run bench:features -- --librosa PYTHONPATH`: librosa's own load and the
recipe's five feature blocks on the same RAVDESS FLAC files, timed per file.

Usage: python3 bench/librosa_features.py LIST_FILE
  LIST_FILE holds one audio path per line. Prints one JSON object: total seconds of audio, seconds
  spent in librosa.load (soundfile decode + soxr_hq resampling to 22050 Hz) and in the features,
  the median over files of each file's time per 3 s of its audio, and librosa's version.

The features are the recipe's, as it calls librosa (each call computes its own STFT): mfcc (40),
its delta (width 9), chroma_stft (tuning estimated), spectral_contrast, log-mel (128 bands,
power_to_db). librosa is not part of this project: point PYTHONPATH at a checkout of its public
repository (with Debian's python3-numba, python3-scipy, python3-soundfile and a soxr module).
"""
import json
import sys
import time

import numpy as np
import librosa


def features(y, sr):
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40)
    delta = librosa.feature.delta(mfcc)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)
    contrast = librosa.feature.spectral_contrast(y=y, sr=sr)
    logmel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=128))
    return np.vstack([mfcc, delta, chroma, contrast, logmel]).T


def main():
    with open(sys.argv[1]) as f:
        files = [line.strip() for line in f if line.strip()]
    # warm-up: numba compiles librosa's kernels on first use (not counted, as the project's bench
    # does not count its own warm-up)
    y, sr = librosa.load(files[0], sr=22050)
    features(y, sr)
    audio = load_s = feat_s = 0.0
    cols = 0
    per_file = []  # each file's time per 3 s of its audio (ms), for the median
    for path in files:
        t0 = time.perf_counter()
        y, sr = librosa.load(path, sr=22050)
        t1 = time.perf_counter()
        m = features(y, sr)
        t2 = time.perf_counter()
        load_s += t1 - t0
        feat_s += t2 - t1
        audio += len(y) / sr
        per_file.append((t2 - t0) * 1000 * 3 / (len(y) / sr))
        cols = m.shape[1]
    print(json.dumps({"files": len(files), "audio_s": audio, "load_s": load_s, "features_s": feat_s, "columns": cols,
                      "per_file_median_ms_per_3s": float(np.median(per_file)), "librosa": librosa.__version__}))


if __name__ == "__main__":
    main()
