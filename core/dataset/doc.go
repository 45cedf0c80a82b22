// Package dataset provides content-addressed dataset versions for the learning loop: Items
// (one labelled recording each, named by the SHA-256 of its WAV file), immutable Manifests
// whose id is the SHA-256 of their canonical bytes (the same content gives the same id on any
// appliance), the time split of items into train and test, the fault taxonomy per machine
// kind, and Objects, the directory where the recordings are kept once, by hash.
//
// It does no I/O beyond the object directory and the files it is asked to import, and never
// logs.
package dataset
