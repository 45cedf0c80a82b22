// Package diagnose says what is wrong with a machine: supervised fault classifiers (Random
// Forest, RBF-SVM and their soft-vote ensemble) on a feature front end designed to carry
// across loads and speeds — envelope-spectrum energy at the bearing defect orders, normalised
// by shaft speed and by the spectrum's median, plus dimensionless statistics.
//
// Everything is implemented here in pure Go (standard library and gonum's FFT): the
// classifiers are small (tens of features, hundreds to a few thousand windows), so a
// dedicated implementation is short, deterministic with a seed, trains on two cores and
// serialises to a few hundred kilobytes. The one Go ML module in reach (golearn) brings cgo
// linear models, global state and no seeded parallel forest, so it was not used.
//
// A prediction whose confidence is below the model's calibrated MinConfidence is reported as
// [Unknown]. The package does not log and reads no clock except to report training time.
package diagnose
