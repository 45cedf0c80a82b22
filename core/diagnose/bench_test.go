package diagnose

import (
	"context"
	"testing"
)

// BenchmarkTrainRF fits a 100-tree forest on fold "test 0.014" (the final fit only,
// MinConfidence fixed, the same work as scikit-learn's fit). ns/op is the training time.
func BenchmarkTrainRF(b *testing.B) {
	f := cwruFolds(b)[1]
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(context.Background(), f.train, f.fe, Options{Kind: KindRF, Seed: seed, MinConfidence: 0.5}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainSVM and BenchmarkTrainEnsemble: the same for the other kinds, and with
// calibration (the whole Train call the daemon makes).
func BenchmarkTrainSVM(b *testing.B) { benchTrain(b, KindSVM, 0.5) }

func BenchmarkTrainEnsembleCalibrated(b *testing.B) { benchTrain(b, KindEnsemble, 0) }

func benchTrain(b *testing.B, kind string, minConf float64) {
	f := cwruFolds(b)[1]
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(context.Background(), f.train, f.fe, Options{Kind: kind, Seed: seed, MinConfidence: minConf}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredict classifies one 1-s window (12000 samples at 12 kHz): front end plus model.
// ns/op ÷ 1e9 is the CPU share one channel costs at one window per second (0.5 s hop doubles it).
func BenchmarkPredict(b *testing.B) {
	f := cwruFolds(b)[1]
	recs := loadCWRU(b)
	x := recs[4].x[:winLen]
	b.Run("features", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.fe.Features(x); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, kind := range []string{KindRF, KindSVM, KindEnsemble} {
		m, err := Train(context.Background(), f.train, f.fe, Options{Kind: kind, Seed: seed, MinConfidence: 0.5})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Predict(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
