// Package dsp turns audio frames into features: framing with hop, periodic Hann window, real
// FFT power spectrum, librosa-compatible mel filterbank (Slaney or HTK scale, Slaney area
// normalisation), log-mel in the DCASE form, MFCC (orthonormal DCT-II of power_to_db), spectral
// shape features, time-domain statistics, octave and third-octave band levels, and the Hilbert
// envelope spectrum used for bearing fault frequencies.
//
// The package is pure maths: standard library and gonum only, no logging, no clock, no global
// state. The hot path, [Extractor.Process], performs no allocations once the [Extractor] and
// [Frame] have been built; everything it needs is preallocated by [NewExtractor].
//
// Definitions follow librosa 0.10 (and scipy) so features can be compared with Python
// reference pipelines; testdata/gen_golden.py re-implements those definitions in numpy/scipy and
// the golden tests compare against its output with a relative tolerance of 1e-4.
package dsp
