package cnn

import (
	"fmt"
	"math"
	"time"

	"signalcraft/core/dsp"
)

// front is the log-mel front end: Rate·Window samples → frames × mels image.
type front struct {
	rate, samples, frameSize, hop, frames, mels int
}

// newFront picks the analysis frame as the largest power of two not longer than 50 ms
// (512 at 12 kHz, 1024 at 16 kHz, 2048 at 48 kHz) with 50 % overlap.
func newFront(rate int, window time.Duration, mels int) (front, error) {
	if rate <= 0 || window <= 0 || mels <= 0 {
		return front{}, fmt.Errorf("%w: rate %d, window %v, mels %d", ErrConfig, rate, window, mels)
	}
	n := 16
	for n*2 <= rate/20 {
		n *= 2
	}
	samples := int(math.Round(window.Seconds() * float64(rate)))
	f := front{rate: rate, samples: samples, frameSize: n, hop: n / 2, mels: mels}
	if samples >= n {
		f.frames = 1 + (samples-n)/f.hop
	}
	return f, nil
}

func (f front) dspConfig() dsp.Config {
	return dsp.Config{SampleRate: f.rate, FrameSize: f.frameSize, Hop: f.hop, Mels: f.mels, Scale: dsp.MelSlaney}
}

// frontEnd holds one goroutine's extractor and buffers.
type frontEnd struct {
	f     front
	ex    *dsp.Extractor
	frame *dsp.Frame
	buf   []float64
}

func newFrontEnd(f front) *frontEnd {
	ex, err := dsp.NewExtractor(f.dspConfig())
	if err != nil {
		// newFront's choices always make a valid dsp.Config once Validate passed.
		panic(fmt.Sprintf("cnn: front end: %v", err))
	}
	return &frontEnd{f: f, ex: ex, frame: dsp.NewFrame(f.dspConfig()), buf: make([]float64, f.frameSize)}
}

// patch writes the standardised log-mel image of x (frame-major: out[t*mels+m]) into out.
// Standardising per patch removes the recording's level, so the net sees the spectral shape.
func (fe *frontEnd) patch(x []float32, out []float32) error {
	f := fe.f
	if len(x) != f.samples {
		return fmt.Errorf("%w: %d samples, want %d", ErrInput, len(x), f.samples)
	}
	var sum, sq float64
	for t := 0; t < f.frames; t++ {
		for i, v := range x[t*f.hop : t*f.hop+f.frameSize] {
			fe.buf[i] = float64(v)
		}
		fe.ex.Process(fe.buf, fe.frame)
		row := out[t*f.mels : (t+1)*f.mels]
		for m, v := range fe.frame.LogMel {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: non-finite sample in frame %d", ErrInput, t)
			}
			row[m] = float32(v)
			sum += v
			sq += v * v
		}
	}
	n := float64(f.frames * f.mels)
	mean := sum / n
	sd := math.Sqrt(max(0, sq/n-mean*mean))
	inv := 1 / (sd + 1e-6)
	for i, v := range out[:f.frames*f.mels] {
		out[i] = float32((float64(v) - mean) * inv)
	}
	return nil
}
