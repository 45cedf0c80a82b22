package dsp

import (
	"fmt"
	"testing"
	"time"

	godsp "github.com/mjibson/go-dsp/fft"
	"gonum.org/v1/gonum/dsp/fourier"
)

// BenchmarkExtractor measures Process (all features of one frame) and reports the real-time
// multiple per core, x_realtime = (audio seconds advanced, Hop/SampleRate per frame) / (CPU
// seconds used by the process, from getrusage). The loop runs on one goroutine and does not
// allocate, so the process CPU time is the time of one core running Process; unlike ns/op it
// does not grow when other processes compete for the CPUs.
func BenchmarkExtractor(b *testing.B) {
	for _, c := range []Config{
		{SampleRate: 16000, FrameSize: 1024, Hop: 512, Mels: 128, MFCC: 20},
		{SampleRate: 48000, FrameSize: 2048, Hop: 1024, Mels: 128, MFCC: 20},
	} {
		b.Run(fmt.Sprintf("%dHz_n%d_hop%d_mels%d", c.SampleRate, c.FrameSize, c.Hop, c.Mels), func(b *testing.B) {
			e, err := NewExtractor(c)
			if err != nil {
				b.Fatal(err)
			}
			f := NewFrame(c)
			// Cycle through 16 different frames: repeating one frame would make every
			// data-dependent branch (flux, zero crossings) perfectly predictable.
			const nf = 16
			sig := noise(c.FrameSize*nf, 1)
			b.ReportAllocs()
			start := cpuTime()
			i := 0
			for b.Loop() {
				e.Process(sig[i*c.FrameSize:(i+1)*c.FrameSize], f)
				i = (i + 1) % nf
			}
			perFrame := (cpuTime() - start).Seconds() / float64(b.N)
			b.ReportMetric(float64(c.Hop)/float64(c.SampleRate)/perFrame, "x_realtime")
		})
	}
}

// BenchmarkFramerExtractor is the streaming path: 20 ms float32 blocks through the Framer
// into Process, reported per second of audio.
func BenchmarkFramerExtractor16k(b *testing.B) {
	c := DefaultConfig(16000)
	e, _ := NewExtractor(c)
	f := NewFrame(c)
	fr := NewFramer(c.FrameSize, c.Hop)
	sig := noise(c.SampleRate, 2)
	block := make([]float32, c.SampleRate/50)
	emit := func(x []float64) { e.Process(x, f) }
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		for off := 0; off < len(sig); off += len(block) {
			for i := range block {
				block[i] = float32(sig[off+i])
			}
			fr.Push(block, emit)
		}
	}
	b.ReportMetric(float64(b.N)/(cpuTime()-start).Seconds(), "x_realtime")
}

// reportCPU adds the process CPU time per operation: go-dsp runs its butterflies on
// GOMAXPROCS worker goroutines, so its ns/op (wall) can understate the CPU it burns.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkFFT_gonum and BenchmarkFFT_godsp compare the two FFT libraries in go.mod on the
// real forward transform the Extractor needs (n/2+1 complex bins).
func BenchmarkFFT_gonum(b *testing.B) {
	for _, n := range []int{1024, 2048} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x := noise(n, 3)
			fft := fourier.NewFFT(n)
			out := make([]complex128, n/2+1)
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				fft.Coefficients(out, x)
			}
			reportCPU(b, start)
		})
	}
}

func BenchmarkFFT_godsp(b *testing.B) {
	for _, n := range []int{1024, 2048} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x := noise(n, 3)
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				_ = godsp.FFTReal(x)
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkMelFilterbankApply isolates the mel, log-mel and MFCC stage of Process.
func BenchmarkMelFilterbankApply(b *testing.B) {
	c := DefaultConfig(16000)
	e, _ := NewExtractor(c)
	f := NewFrame(c)
	e.Process(noise(c.FrameSize, 4), f)
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		e.melFeatures(f)
	}
	reportCPU(b, start)
}

// BenchmarkEnvelopeSpectrum is the offline bearing analysis on one second at 12 kHz
// (12000 = 2^5·3·5^3 samples, a mixed-radix FFT length).
func BenchmarkEnvelopeSpectrum(b *testing.B) {
	x := noise(12000, 5) // one second at 12 kHz (CWRU)
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		EnvelopeSpectrum(x, 12000)
	}
	reportCPU(b, start)
}
