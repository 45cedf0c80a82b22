package main

import (
	"context"
	"errors"
	"io"
)

// runEvalStreams is replaced when the stream builder (core/eval/synth) lands.
func runEvalStreams(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("eval streams: not built yet")
}
