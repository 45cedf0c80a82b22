// Package eval measures anomaly detection on labelled recordings: AUC and partial AUC
// (McClish-standardised, as scikit-learn's roc_auc_score with max_fpr), loading of the
// labels.csv datasets under ../shared/data (DCASE Task 2 clips and the CWRU bearing
// MAT-files), and Run, the evaluation behind `signalcraftd eval`, which scores every
// model kind of core/detect on every dataset through the same feature chain the daemon
// uses.
package eval
