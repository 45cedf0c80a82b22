// Package source defines where the appliance's samples come from: a microphone, a WAV
// recording replayed in real time or as fast as possible, or a simulated machine. Every
// source delivers per-channel float32 blocks to a Sink that must never block.
package source

import (
	"context"
	"time"
)

// Info describes a source's stream.
type Info struct {
	Name       string
	SampleRate int
	Channels   int
}

// Block is a run of samples, one slice per channel, all of equal length, in [-1, 1].
// The slices are only valid during the Sink.Samples call.
type Block struct {
	Time     time.Time // time of the first sample
	Channels [][]float32
}

// Status is the state of a source as it reports it.
type Status int

const (
	Running      Status = iota // delivering samples
	Lost                       // the device failed; the source will try to reconnect
	Reconnecting               // a reconnect attempt is under way
	Ended                      // a finite source has delivered everything
)

func (s Status) String() string {
	switch s {
	case Running:
		return "running"
	case Lost:
		return "lost"
	case Reconnecting:
		return "reconnecting"
	case Ended:
		return "ended"
	}
	return "unknown"
}

// Sink receives what a source produces.
type Sink interface {
	// Samples receives a block. It must not block: capture never waits for analysis.
	Samples(b Block)
	// Status reports a change of the source's state; err is the cause for Lost.
	Status(s Status, err error)
}

// Source produces samples until its context is done or, for finite sources, its data ends.
type Source interface {
	Info() Info
	// Run delivers samples to sink. It returns nil when ctx is done or a finite source ends.
	Run(ctx context.Context, sink Sink) error
}
