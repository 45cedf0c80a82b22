package mlops

import (
	"context"
	"testing"

	"signalcraft/core/eval"
)

// BenchmarkTrainFan trains a fan challenger on 200 s of sound (20 DCASE clips) and
// evaluates it on 100 s, unthrottled: the processor time a retraining costs. The
// audio-seconds-per-second metric is how many seconds of sound one core trains on per
// second; the daemon's throttle then spreads that over 1/cpu_share as long.
func BenchmarkTrainFan(b *testing.B) {
	m, cfg, clip := fan(b)
	var train, test []Clip
	for i := 0; i < 20; i++ {
		train = append(train, clip(i))
	}
	for i := 20; i < 30; i++ {
		test = append(test, clip(i))
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := Train(context.Background(), m, cfg, train, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Evaluate(context.Background(), m, res.Detector, test, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(300*float64(b.N)/b.Elapsed().Seconds(), "audio-s/s")
}

// BenchmarkScoringWhileTraining measures the live scoring path (a 10-s clip through the
// machine's chain and detector, as the daemon runs it) alone and while a throttled
// training (cpu_share 0.5, the default) runs beside it: what a retraining costs the
// machines that keep listening.
func BenchmarkScoringWhileTraining(b *testing.B) {
	m, cfg, clip := fan(b)
	var train []Clip
	for i := 0; i < 20; i++ {
		train = append(train, clip(i))
	}
	res, err := Train(context.Background(), m, cfg, train, nil)
	if err != nil {
		b.Fatal(err)
	}
	x, err := m.read(clip(30).Path)
	if err != nil {
		b.Fatal(err)
	}
	score := func(b *testing.B) {
		for b.Loop() {
			d, _ := res.Detector.Fresh()
			err := eval.StreamWindows(m.Profile, m.Rate, x, func(end int, v []float64) { d.Score(v) })
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(10*float64(b.N)/b.Elapsed().Seconds(), "audio-s/s")
	}
	b.Run("idle", score)
	b.Run("training", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			for ctx.Err() == nil {
				_, _ = Train(ctx, m, cfg, train, NewThrottle(0.5))
			}
		}()
		score(b)
		cancel()
		<-done
	})
}
