// Package health turns a machine's vibration or sound into a health record over days and weeks,
// finds when degradation started and estimates the remaining useful life (RUL) with an interval.
//
// The chain, each step usable on its own:
//
//   - [Measure] reads one record (a burst or window of samples) into [Indicators]: RMS, kurtosis,
//     peak and, when a shaft speed and bearing defect orders are configured, the envelope-spectrum
//     energy at the defect frequencies (dsp.EnvelopeSpectrum and dsp.FaultEnergy).
//   - [Aggregate] pools records into points of a fixed interval (1 min, 1 h); [Smooth] gives the
//     display trend (EWMA of the log level).
//   - [Monitor] learns the healthy baseline from the first points, runs a one-sided CUSUM on the
//     log level against it (the alarm: "degradation started") and, after the alarm, fits the
//     exponential degradation model of Gebraeel et al. (2005), S(t) = φ + θ·exp(β·t + ε), by
//     Bayesian linear regression on ln(S − φ); the RUL distribution is the time the fitted
//     trajectory reaches the failure level, from posterior draws with a fixed seed
//     ([Monitor.Estimate]).
//   - [PercentError], [Accuracy] and [Score] are the IEEE PHM 2012 challenge's scoring function.
//
// Every default is chosen on a stated principle, not fitted to a recording: see [DefaultConfig].
// The package does not log and reads no clock: times come with the data.
package health
