// Package runtofail reads the run-to-failure recordings in ../shared/data (FEMTO-ST PRONOSTIA
// Bearing1_1 of the IEEE PHM 2012 challenge, and the NASA/IMS 2nd test's averaged CSV) and
// evaluates package health on them: alarm lead time before the end of life and RUL estimates
// at fixed checkpoints, scored with the challenge's scoring function.
package runtofail
