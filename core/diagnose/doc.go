// Package diagnose says what is wrong with a machine: supervised fault classifiers (Random
// Forest, RBF-SVM and their soft-vote ensemble) on a feature front end designed to carry
// across loads and speeds — envelope-spectrum energy at the bearing defect orders, normalised
// by shaft speed and by the spectrum's median, plus dimensionless statistics.
//
// Everything is implemented here in pure Go (standard library and gonum's FFT): the
// classifiers are small (tens of features, hundreds to a few thousand windows), so a
// dedicated implementation is short, deterministic with a seed, trains on two cores and
// serialises to at most a few hundred kilobytes. The one Go ML module in the project's package
// list (golearn) binds liblinear through cgo, so it was not used; docs/MODELS.md says more.
//
// A prediction whose confidence is below the model's calibrated MinConfidence is reported as
// [Unknown]. The package does not log and reads no clock except to report training time.
package diagnose
