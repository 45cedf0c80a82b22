package screens

import (
	"signalcraft/core/api"
	"signalcraft/gui/waterfall"
)

// Waterfall geometry and colour range (dB of the live spectrum bands).
const (
	waterfallCols  = HistoryLen
	waterfallBands = 64
	waterfallMinDB = -90
	waterfallMaxDB = -20
)

// machine is what the client knows of one machine: its configuration, its
// latest live update and the history the charts draw.
type machine struct {
	cfg    api.Machine
	live   api.Live
	have   bool
	scores []float64 // decision scores in multiples of their threshold (ratio), oldest first, at most HistoryLen
	levels []float64
	thr    float64
	wf     *waterfall.Waterfall
	dirty  bool   // changed since the detail screen last drew
	seq    uint64 // of the last streamed update in the history
	events []api.Event
	models []api.Model // newest first, as the appliance lists them
}

func newMachine(cfg api.Machine) *machine {
	return &machine{cfg: cfg, wf: waterfall.New(waterfallCols, waterfallBands, waterfallMinDB, waterfallMaxDB)}
}

// add puts a streamed update into the history.
func (m *machine) add(l api.Live) {
	if l.Seq != 0 && l.Seq <= m.seq {
		return // a replayed duplicate after a reconnect
	}
	m.seq, m.dirty = l.Seq, true
	if !m.have || l.Seq >= m.live.Seq {
		m.live, m.have = l, true
	}
	if r, ok := ratio(l.Smoothed, l.Threshold); ok {
		m.scores = appendCapped(m.scores, r)
	}
	m.levels = appendCapped(m.levels, l.LevelDBFS)
	if l.Threshold > 0 {
		m.thr = l.Threshold
	}
	m.wf.Push(l.Spectrum)
}

// seed starts the charts from stored score history (oldest first).
func (m *machine) seed(ps []api.ScorePoint) {
	for _, p := range ps {
		if r, ok := ratio(p.Smoothed, p.Threshold); ok {
			m.scores = appendCapped(m.scores, r)
		}
		m.levels = appendCapped(m.levels, p.LevelDBFS)
		if p.Threshold > 0 {
			m.thr = p.Threshold
		}
	}
	m.dirty = m.dirty || len(ps) > 0
}

// latest sets the current state from a snapshot without adding history:
// the stream that follows may still deliver older updates for the charts.
func (m *machine) latest(l api.Live) {
	if !m.have || l.Seq >= m.live.Seq {
		m.live, m.have, m.dirty = l, true, true
		if l.Threshold > 0 {
			m.thr = l.Threshold
		}
	}
}

// ratio is a decision score in multiples of its threshold: the one unit every
// score is shown in (alerts' anomaly_score values too), so the alarm line is
// always at 1. ok is false while learning (no threshold yet).
func ratio(score, thr float64) (float64, bool) {
	if thr <= 0 {
		return 0, false
	}
	return score / thr, true
}

// alarmLine is where the charts draw the threshold: at 1 (ratio), or nowhere
// before the machine has one.
func (m *machine) alarmLine() float64 {
	if m.thr > 0 {
		return 1
	}
	return 0
}

func appendCapped(s []float64, v float64) []float64 {
	if len(s) == HistoryLen {
		copy(s, s[1:])
		s[len(s)-1] = v
		return s
	}
	return append(s, v)
}

// name returns the machine's display name.
func (m *machine) name() string {
	if m.cfg.Name != "" {
		return m.cfg.Name
	}
	return m.cfg.ID
}
