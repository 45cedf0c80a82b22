package daemon

import (
	"context"
	"time"

	"signalcraft/core/detect"
	"signalcraft/core/dsp"
	"signalcraft/core/health"
	"signalcraft/core/store"
)

// healthAddEvery is how often a machine adds what it has pooled to its hour's health record
// (and at each hour's end, and when it stops): at most this much of the record is lost when
// the daemon is killed.
const healthAddEvery = 5 * time.Minute

// healthEnvelopeEvery is how often the envelope energy at the bearing defect frequencies is
// measured, when the machine has a fault classifier (whose front end gives the shaft speed
// and defect orders): a 1-s window costs about 3 ms (docs/BENCHMARKS.md), once a minute is
// plenty for an hourly record.
const healthEnvelopeEvery = time.Minute

// heldHealthMax bounds the parts of hours held while the database refuses writes (a full
// disk): 48 parts of 5 minutes are four hours; beyond, the oldest are dropped.
const heldHealthMax = 48

// healthRecorder pools the windows a machine scores into its hourly health record (issue 12):
// the level (RMS), kurtosis, peak, the anomaly level and, with a shaft speed, the envelope
// energy at the defect frequencies. The record is what GET /machines/{id}/health replays
// through core/health for the degradation alarm and the RUL estimate. Machine goroutine only.
type healthRecorder struct {
	cur     store.HealthRecord // the part of the current hour not yet added
	started time.Time          // stream time cur began
	lastEnv time.Time
	held    []store.HealthRecord // parts the database refused, retried in order
	dropped int
	buf     []float64
}

// recordHealth pools one scored window (called from window, after the exclusion of windows
// a sensor fault touches: those are not the machine's sound and are not in the record).
func (m *machine) recordHealth(t time.Time, feat summary, res detect.Result, out sinks) {
	h := &m.hrec
	hour := t.UTC().Truncate(time.Hour)
	if h.cur.Windows > 0 && (!hour.Equal(h.cur.Hour) || t.Sub(h.started) >= healthAddEvery) {
		m.flushHealth(out)
	}
	if h.cur.Windows == 0 {
		h.cur = store.HealthRecord{MachineID: m.cfg.ID, Hour: hour}
		h.started = t
	}
	c := &h.cur
	c.Windows++
	c.Last = t
	c.SumSquares += feat.ms
	c.SumKurtosis += feat.kurt
	c.Peak = max(c.Peak, feat.peak)
	if res.State == detect.StateMonitoring && res.Threshold > 0 {
		c.SumScore += res.Smoothed / res.Threshold // the level alert rules read as anomaly_score
		c.Scored++
	}
	if m.diag != nil && t.Sub(h.lastEnv) >= healthEnvelopeEvery {
		if n := m.diag.FrontEnd.Samples(); len(m.tail) >= n {
			h.buf = h.buf[:0]
			for _, s := range m.tail[len(m.tail)-n:] {
				h.buf = append(h.buf, float64(s))
			}
			orders := m.diag.FrontEnd.Orders
			if orders == (dsp.BearingOrders{}) {
				orders = dsp.CWRU6205() // the front end's default
			}
			in := health.Measure(h.buf, m.rate, &health.Defects{ShaftHz: m.diag.FrontEnd.ShaftHz, Orders: orders})
			c.SumEnvelope += in.Envelope
			c.EnvelopeN++
			h.lastEnv = t
		}
	}
}

// flushHealth adds the pooled part of the hour, and any parts held before, to the store.
func (m *machine) flushHealth(out sinks) {
	h := &m.hrec
	if h.cur.Windows > 0 {
		h.held = append(h.held, h.cur)
		h.cur = store.HealthRecord{}
	}
	for len(h.held) > 0 {
		if err := out.db.AddHealth(context.Background(), h.held[0]); err != nil {
			m.log.Warn("health record not written; retried with the next", "hour", h.held[0].Hour, "err", err)
			break
		}
		h.held = h.held[1:]
	}
	if n := len(h.held) - heldHealthMax; n > 0 {
		h.dropped += n
		h.held = h.held[n:]
		m.log.Error("health record parts dropped: the database refuses writes", "dropped", h.dropped)
	}
}
