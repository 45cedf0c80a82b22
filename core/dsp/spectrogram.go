package dsp

import (
	"errors"
	"fmt"
	"math"
)

// Spectrogram is a log-mel spectrogram reduced to a number of columns: what a screen can
// show of a clip.
type Spectrogram struct {
	Columns, Bands int
	// ColumnSeconds is the sound one column covers (a whole number of hops).
	ColumnSeconds float64
	// FMinHz and FMaxHz bound the mel bands; BandHz[b] is band b's centre frequency.
	FMinHz, FMaxHz float64
	BandHz         []float64
	// DB holds Columns×Bands levels, column after column, each from the lowest band up:
	// 10·log10(mel power + eps) as Frame.LogMel, the loudest frame of the column per band.
	DB []float64
}

// At returns the level of column c, band b in dB.
func (s Spectrogram) At(c, b int) float64 { return s.DB[c*s.Bands+b] }

// LogMelSpectrogram computes the log-mel spectrogram of x with the appliance's frame for
// sampleRate (DefaultConfig: ~64 ms frames, 50 % overlap) and bands mel bands, then pools
// the frames into at most columns columns by taking each band's maximum, so a short impact
// stays visible however long the clip. A clip shorter than one frame is zero-padded.
func LogMelSpectrogram(x []float32, sampleRate, bands, columns int) (Spectrogram, error) {
	if columns < 1 {
		return Spectrogram{}, fmt.Errorf("dsp: spectrogram: columns %d: must be positive", columns)
	}
	if len(x) == 0 {
		return Spectrogram{}, errors.New("dsp: spectrogram: no samples")
	}
	c := DefaultConfig(sampleRate)
	c.Mels, c.MFCC = bands, 0
	e, err := NewExtractor(c)
	if err != nil {
		return Spectrogram{}, fmt.Errorf("dsp: spectrogram: %w", err)
	}
	n, hop := c.FrameSize, c.Hop
	frames := 1
	if len(x) > n {
		frames = 1 + (len(x)-n)/hop
	}
	cols := min(columns, frames)
	out := Spectrogram{Columns: cols, Bands: bands, FMinHz: c.FMin, FMaxHz: c.fmax(),
		ColumnSeconds: float64(frames) / float64(cols) * float64(hop) / float64(sampleRate),
		DB:            make([]float64, cols*bands)}
	edges := melEdges(bands, c.FMin, c.fmax(), c.Scale)
	out.BandHz = edges[1 : bands+1 : bands+1]
	for i := range out.DB {
		out.DB[i] = math.Inf(-1)
	}
	f := NewFrame(c)
	buf := make([]float64, n)
	for i := range frames {
		clear(buf)
		for j, v := range x[i*hop : min(i*hop+n, len(x))] {
			buf[j] = float64(v)
		}
		e.Process(buf, f)
		col := out.DB[i*cols/frames*bands:][:bands]
		for b, v := range f.LogMel {
			col[b] = max(col[b], v)
		}
	}
	return out, nil
}
