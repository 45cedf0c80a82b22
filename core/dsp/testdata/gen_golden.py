#!/usr/bin/python3
"""Golden vectors for signalcraft/core/dsp.

Regenerate (no make needed), from the repository root:

    /usr/bin/python3 core/dsp/testdata/gen_golden.py

(or `go test ./core/dsp -run Golden -update`, which runs this command). It needs only
Debian's python3-numpy and python3-scipy (numpy 1.24, scipy 1.10); librosa is not available,
so its definitions (librosa 0.10) are re-implemented below in numpy, in float64:

  * filters.mel (Slaney and HTK scale, norm='slaney'), power_to_db, feature.mfcc
    (scipy.fft.dct type 2, norm='ortho'), spectral_centroid / bandwidth (p=2) / rolloff (0.85)
    on the magnitude spectrum, spectral_flatness (power=2, amin=1e-10), rms, zero_crossing_rate
    (center=False), each applied to one frame (stft with center=False, periodic Hann window);
  * the project's own definitions: DCASE log-mel 10*log10(mel + float32 eps), spectral flux,
    dBFS, crest factor, Pearson kurtosis (scipy.stats.kurtosis(fisher=False)), IEC 61260
    base-ten octave / third-octave band levels, Hilbert envelope spectrum
    (scipy.signal.hilbert) and fault energy.

Inputs are deterministic (numpy default_rng with fixed seeds), rounded to float32 as audio
samples are, and stored in the JSON so the Go tests never depend on a random generator.
Numbers are written with 12 significant digits (the Go tests use a 1e-4 relative tolerance).
"""
import json
import os

import numpy as np
import scipy.fft
import scipy.signal
import scipy.stats

HERE = os.path.dirname(os.path.abspath(__file__))
LOGMEL_EPS = float(np.finfo(np.float32).eps)


# ---------------------------------------------------------------- librosa definitions
def hz_to_mel(f, htk):
    f = np.asanyarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep, mels)


def mel_to_hz(m, htk):
    m = np.asanyarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk):
    """librosa.filters.mel(..., norm='slaney') in float64."""
    if fmax is None or fmax == 0:
        fmax = sr / 2.0
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, 1 + n_fft // 2))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    return weights * enorm[:, np.newaxis]


def power_to_db(s, ref=1.0, amin=1e-10, top_db=80.0):
    log_spec = 10.0 * np.log10(np.maximum(amin, s))
    log_spec -= 10.0 * np.log10(np.maximum(amin, abs(ref)))
    if top_db is not None:
        log_spec = np.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def normalize_l1(s):
    # librosa.util.normalize(S, norm=1) with threshold = tiny: tiny columns are left unscaled.
    length = np.sum(np.abs(s))
    if length < np.finfo(s.dtype).tiny:
        length = 1.0
    return s / length


def zero_crossing_rate(x, threshold=1e-10):
    y = x.copy()
    y[np.abs(y) <= threshold] = 0
    sign = np.signbit(y)
    crossings = np.concatenate([[False], sign[1:] != sign[:-1]])
    return float(np.mean(crossings))


def frame_features(x, sr, n_fft, n_mels, n_mfcc, htk, prev_mag):
    """All per-frame features of one frame x (len n_fft), as core/dsp defines them."""
    window = scipy.signal.get_window("hann", n_fft, fftbins=True)
    spec = np.fft.rfft(x * window)
    power = np.abs(spec) ** 2
    mag = np.abs(spec)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    fb = mel_filterbank(sr, n_fft, n_mels, 0.0, None, htk)
    mel = fb @ power

    s = normalize_l1(mag)
    centroid = float(np.sum(freqs * s))
    bandwidth = float(np.sum(s * np.abs(freqs - centroid) ** 2) ** 0.5)
    cum = np.cumsum(mag)
    rolloff = float(np.nanmin(np.where(cum < 0.85 * cum[-1], np.nan, 1) * freqs))
    st = np.maximum(1e-10, mag ** 2.0)
    flatness = float(np.exp(np.mean(np.log(st))) / np.mean(st))
    flux = 0.0 if prev_mag is None else float(np.sqrt(np.sum(np.maximum(0, mag - prev_mag) ** 2)))

    rms = float(np.sqrt(np.mean(np.abs(x) ** 2)))
    peak = float(np.max(np.abs(x)))
    return mag, {
        "power": power.tolist(),
        "mel": mel.tolist(),
        "logmel": (10 * np.log10(mel + LOGMEL_EPS)).tolist(),
        "mfcc": scipy.fft.dct(power_to_db(mel), type=2, norm="ortho")[:n_mfcc].tolist(),
        "rms": rms,
        "dbfs": max(-120.0, 20 * np.log10(rms)) if rms > 0 else -120.0,
        "peak": peak,
        "crest": peak / rms if rms > 0 else 0.0,
        "kurtosis": float(scipy.stats.kurtosis(x, fisher=False, bias=True)),
        "zcr": zero_crossing_rate(x),
        "centroid": centroid,
        "bandwidth": bandwidth,
        "rolloff": rolloff,
        "flatness": flatness,
        "flux": flux,
    }


# ---------------------------------------------------------------- project definitions
def band_levels(power, sr, nfft, fraction):
    g = 10 ** 0.3
    b = float(fraction)
    df = sr / nfft
    half = g ** (1 / (2 * b))
    freqs = np.arange(len(power)) * df
    out = []
    x = -20 * fraction
    while True:
        e = x / b if fraction % 2 else (2 * x + 1) / (2 * b)
        fm = 1000 * g ** e
        lo, hi = fm / half, fm * half
        x += 1
        if hi > sr / 2:
            break
        if hi - lo < df:
            continue
        sel = (freqs >= lo) & (freqs < hi)
        out.append({"center": fm, "low": lo, "high": hi,
                    "level": 10 * np.log10(max(1e-10, float(np.sum(power[sel]))))})
    return out


def envelope_spectrum(x, sr):
    n = len(x)
    env = np.abs(scipy.signal.hilbert(x))
    env = env - env.mean()
    return np.fft.rfftfreq(n, 1.0 / sr), np.abs(np.fft.rfft(env)) / n


def fault_energy(freqs, mag, f0, harmonics, tol):
    sel = np.zeros(len(freqs), dtype=bool)
    for h in range(1, harmonics + 1):
        sel |= np.abs(freqs - h * f0) <= tol
    return float(np.sum(mag[sel] ** 2))


# ---------------------------------------------------------------- inputs and output
def test_signal(sr, n, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    x = (0.3 * np.sin(2 * np.pi * 440 * t)
         + 0.1 * np.sin(2 * np.pi * 3000 * t + 0.5)
         + 0.05 * np.sin(2 * np.pi * 0.21 * sr * t) * (t > n / sr / 2)  # appears half-way: flux
         + 0.05 * rng.standard_normal(n))
    return x.astype(np.float32).astype(np.float64)


def round_floats(v, digits=12):
    if isinstance(v, float):
        return float(f"{v:.{digits}g}")
    if isinstance(v, list):
        return [round_floats(e, digits) for e in v]
    if isinstance(v, dict):
        return {k: round_floats(e, digits) for k, e in v.items()}
    return v


def sparse_row(r):
    """A filter row as its first non-zero bin and the weights up to its last non-zero bin."""
    nz = np.flatnonzero(r)
    if len(nz) == 0:
        return {"start": 0, "w": []}
    return {"start": int(nz[0]), "w": r[nz[0]:nz[-1] + 1].tolist()}


def write(name, obj):
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        json.dump(round_floats(obj), f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def stream_case(sr, n_fft, hop, n_mels, n_mfcc, htk, n_samples, seed):
    x = test_signal(sr, n_samples, seed)
    frames, prev = [], None
    for start in range(0, n_samples - n_fft + 1, hop):
        prev, feats = frame_features(x[start:start + n_fft], sr, n_fft, n_mels, n_mfcc, htk, prev)
        frames.append(feats)
    return {
        "sample_rate": sr, "frame_size": n_fft, "hop": hop, "mels": n_mels, "mfcc": n_mfcc,
        "scale": "htk" if htk else "slaney",
        "samples": [float(np.float32(v)) for v in x],  # exact float32 values
        "frames": frames,
    }


def main():
    write("frames_16k.json", stream_case(16000, 1024, 512, 128, 20, False, 5120, 16))
    write("frames_48k.json", stream_case(48000, 2048, 1024, 128, 20, False, 8192, 48))
    write("frames_16k_htk.json", stream_case(16000, 512, 256, 40, 13, True, 2048, 161))

    fb = []
    for sr, n_fft, n_mels, fmin, fmax, htk in [
        (16000, 512, 40, 0.0, 0.0, False),
        (16000, 512, 40, 20.0, 7600.0, True),
        (22050, 2048, 128, 0.0, 0.0, False),
        (48000, 1024, 64, 50.0, 20000.0, True),
    ]:
        fb.append({"sr": sr, "nfft": n_fft, "nmels": n_mels, "fmin": fmin, "fmax": fmax,
                   "scale": "htk" if htk else "slaney",
                   "rows": [sparse_row(r) for r in mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk)]})
    write("melfb.json", fb)

    rng = np.random.default_rng(7)
    s = np.concatenate([10 ** rng.uniform(-14, 4, 30), [0.0, 1e-12, 5e3]])
    dct_in = rng.standard_normal(24)
    helpers = {
        "power_to_db": [
            {"s": s.tolist(), "ref": ref, "amin": amin, "top_db": top_db,
             "out": power_to_db(s, ref, amin, None if top_db <= 0 else top_db).tolist()}
            for ref, amin, top_db in [(1.0, 1e-10, 80.0), (1.0, 1e-10, 0.0), (50.0, 1e-5, 40.0), (-2.0, 1e-10, 120.0)]
        ],
        "dct": {"in": dct_in.tolist(), "out": scipy.fft.dct(dct_in, type=2, norm="ortho").tolist()},
    }
    x48 = test_signal(48000, 2048, 4848)
    p48 = np.abs(np.fft.rfft(x48 * scipy.signal.get_window("hann", 2048))) ** 2
    helpers["bands"] = {
        "sr": 48000, "nfft": 2048, "power": p48.tolist(),
        "octave": band_levels(p48, 48000, 2048, 1),
        "third": band_levels(p48, 48000, 2048, 3),
        "sixth": band_levels(p48, 48000, 2048, 6),
    }
    write("helpers.json", helpers)

    # Amplitude-modulated 3 kHz resonance at the CWRU outer-race frequency (12 kHz, 1797 rpm).
    env_cases = []
    for n, seed in [(4096, 1), (3001, 2)]:
        sr = 12000
        t = np.arange(n) / sr
        bpfo = 1797 / 60 * 3.5848
        r = np.random.default_rng(seed)
        x = (1 + 0.8 * np.cos(2 * np.pi * bpfo * t)) * np.sin(2 * np.pi * 3000 * t) + 0.2 * r.standard_normal(n)
        x = x.astype(np.float32).astype(np.float64)
        freqs, mag = envelope_spectrum(x, sr)
        env_cases.append({
            "sr": sr, "x": [float(np.float32(v)) for v in x], "mag": mag.tolist(),
            "f0": bpfo, "harmonics": 3, "tol": 5.0,
            "energy": fault_energy(freqs, mag, bpfo, 3, 5.0),
        })
    write("envelope.json", env_cases)


if __name__ == "__main__":
    main()
