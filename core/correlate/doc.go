// Package correlate relates the machines of one appliance to each other: from the windows
// each machine's detector scores (time, anomaly score as a multiple of the threshold, level
// in dBFS, whether the window is anomalous) it keeps the lagged cross-correlation of every
// pair of machines over a sliding horizon, and judges every episode in which machines turn
// anomalous together:
//
//   - common cause: enough of the machines listening (Config.MinMachines and MinShare) turn
//     anomalous within Config.Span, and their levels or scores rise together (correlated at
//     some lag ≥ Config.MinCoef) — a plant-wide disturbance heard by every microphone, to be
//     announced once rather than as one alarm per machine;
//   - attribution: fewer machines turn anomalous together, one of them leads — the loudest
//     level rise, or the earliest onset when the rises are alike — and the others' anomalies
//     correlate with it: they heard the leading machine's fault ("heard from pump-2").
//
// Windows are put on a grid of Config.Step (the machines' window hop) from the first window
// seen; a grid slot is judged once every machine still reporting has delivered it (the
// machines run on their own goroutines, in their sound's time), so the verdicts depend on
// the windows only, never on the order they arrive in or on a clock. Memory is bounded
// (a ring of Horizon+MaxLag slots per machine, running sums per pair and lag) and each slot
// costs O(machines² · lags).
//
// The package does not log and reads no clock: times come with the windows.
package correlate
