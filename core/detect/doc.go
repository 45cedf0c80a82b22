// Package detect turns per-frame features into window vectors, fits a model of
// normal operation (Mahalanobis distance with shrinkage covariance, Gaussian
// mixture, or k-nearest-neighbour distance), derives a decision threshold from a
// gamma distribution fitted to the training scores, and runs the per-machine
// streaming Detector: learning, then monitoring with smoothed scores and anomaly
// events with hysteresis, few-shot adaptation to new operating conditions, and
// persistence.
//
// The package is pure: no logging, no clock (times are passed in), no global state.
// The feature chain (FeatureConfig, Chain) is shared by the daemon and by the
// offline evaluation in core/eval so that both score exactly the same vectors.
package detect
