package mlops

import (
	"context"
	"testing"
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
