package alert

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkObserveTick is one analysis window of a large appliance: 100 machines each
// observed once against 10 rules, then one Tick. A tenth of the machines are anomalous and
// a few have sensor trouble, so alerts fire, group, inhibit and repeat along the way.
func BenchmarkObserveTick(b *testing.B) {
	c := DefaultConfig()
	more := []Rule{
		{Name: "Quiet", Severity: SeverityWarning, Expr: Expr{Metric: MetricLevelDBFS, Op: OpLT, Enter: -70, Exit: ptr(-65.0)}, For: 30 * time.Second},
		{Name: "Overruns", Severity: SeverityWarning, Expr: Expr{Metric: MetricOverruns, Op: OpGT, Enter: 0}},
		{Name: "LoudBand", Severity: SeverityWarning, Expr: Expr{Metric: "band_energy_db:1000", Op: OpGT, Enter: -10}, For: 10 * time.Second},
		{Name: "RawScore", Severity: SeverityWarning, Expr: Expr{Metric: MetricScore, Op: OpGE, Enter: 50}, NoData: NoDataOK, NoDataAfter: time.Minute},
	}
	c.Rules = append(c.Rules, more...)
	if len(c.Rules) != 10 {
		b.Fatalf("%d rules", len(c.Rules))
	}
	e := mustNew(b, c, State{})
	obs := make([]Observation, 100)
	for i := range obs {
		state := "ok"
		if i%25 == 3 {
			state = "stuck"
		}
		obs[i] = Observation{Machine: fmt.Sprintf("m%03d", i), Line: "L1", Sensor: fmt.Sprintf("ch%d", i), SensorState: state,
			Values: map[string]float64{MetricAnomalyScore: 0.5, MetricScore: 10, MetricThreshold: 20, MetricLevelDBFS: -30,
				MetricOverruns: 0, "band_energy_db:1000": -20, "fault_energy:bpfo": 1, "fault_energy:bpfi": 1}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		now := t0.Add(time.Duration(n) * time.Second)
		for i := range obs {
			o := &obs[i]
			o.Time = now
			if i%10 == 0 { // anomalous for 5 minutes out of every 10
				if (n/300)%2 == 0 {
					o.Values[MetricAnomalyScore] = 2.5
				} else {
					o.Values[MetricAnomalyScore] = 0.3
				}
			}
			e.Observe(*o)
		}
		e.Tick(now)
		if n%100 == 0 {
			e.Confirm(keys(e.Pending())...)
		}
	}
}
