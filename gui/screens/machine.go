package screens

import (
	"signalcraft/core/api"
	"signalcraft/gui/waterfall"
)

// Waterfall geometry and colour range (dB of the live spectrum bands).
const (
	waterfallCols  = 240
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
	scores []float64 // smoothed scores, oldest first, at most HistoryLen
	levels []float64
	thr    float64
	wf     *waterfall.Waterfall
	dirty  bool // changed since the detail screen last drew
	events []api.Event
}

func newMachine(cfg api.Machine) *machine {
	return &machine{cfg: cfg, wf: waterfall.New(waterfallCols, waterfallBands, waterfallMinDB, waterfallMaxDB)}
}

func (m *machine) add(l api.Live) {
	if m.have && l.Seq != 0 && l.Seq <= m.live.Seq {
		return // a replayed duplicate after a reconnect
	}
	m.live, m.have, m.dirty = l, true, true
	m.scores = appendCapped(m.scores, l.Smoothed)
	m.levels = appendCapped(m.levels, l.LevelDBFS)
	if l.Threshold > 0 {
		m.thr = l.Threshold
	}
	m.wf.Push(l.Spectrum)
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
