package clips

import (
	"time"
)

// Recorder keeps one machine's recent sound and cuts the clip of each anomaly event out of
// it. The machine's analysis goroutine owns it: Feed, Open, End and Finish must be called
// from that goroutine only; writing the file happens on the Library's goroutine.
//
// Positions are those of the machine's sample stream (appliance/ring ReadAt), so a gap
// after an overrun is seen as a gap, not as sound joined across it.
type Recorder struct {
	lib     *Library
	machine string
	rate    int
	pre     uint64 // samples
	minPost uint64
	maxPost uint64

	hist   []float32 // ring of the latest samples
	filled uint64    // valid samples in hist (≤ len(hist))
	end    uint64    // stream position just after the newest sample
	anchor uint64    // stream position of the latest block's first sample…
	at     time.Time // …and its time
	fed    bool

	cur *capture
}

// capture is a clip being recorded, then written.
type capture struct {
	machine  string
	event    int64
	rate     int
	first    uint64    // stream position of samples[0]
	start    time.Time // time of samples[0]
	samples  []float32
	stop     uint64 // stream position at which recording stops (exclusive)
	min, max uint64 // bounds of stop: the post-roll and its cap
}

// historyMargin is kept beyond the pre-roll: an event is opened after it started (the
// detector waits for a few windows above the threshold in a row, and the newest block goes
// beyond the window that opened it), and the pre-roll counts back from the event's start.
const historyMargin = 5 * time.Second

func newRecorder(lib *Library, machine string, rate int, pre, minPost, maxPost time.Duration) *Recorder {
	n := func(d time.Duration) uint64 { return uint64(d.Seconds()*float64(rate) + 0.5) }
	return &Recorder{lib: lib, machine: machine, rate: rate, pre: n(pre), minPost: n(minPost), maxPost: n(maxPost),
		hist: make([]float32, n(pre+historyMargin)+1)}
}

// timeOf returns the time of stream position pos, from the latest block's time.
func (r *Recorder) timeOf(pos uint64) time.Time {
	d := (float64(pos) - float64(r.anchor)) / float64(r.rate)
	return r.at.Add(time.Duration(d * float64(time.Second)))
}

// Feed appends a block of samples whose first sample is at stream position pos and was
// taken at time t. It must see every block the machine analyses, in order. A block that
// completes the open clip's post-roll hands the clip to the Library to be written.
func (r *Recorder) Feed(pos uint64, t time.Time, x []float32) {
	if r.fed && pos != r.end { // a gap: the history before it no longer joins on
		r.filled = 0
		if r.cur != nil {
			r.Finish() // keep what was recorded before the gap
		}
	}
	r.fed, r.anchor, r.at = true, pos, t
	n := uint64(len(r.hist))
	src := x
	if uint64(len(src)) > n {
		src = src[uint64(len(src))-n:]
	}
	w := (pos + uint64(len(x)) - uint64(len(src))) % n
	for len(src) > 0 {
		c := copy(r.hist[w:], src)
		src = src[c:]
		w = (w + uint64(c)) % n
	}
	r.filled = min(n, r.filled+uint64(len(x)))
	r.end = pos + uint64(len(x))

	if c := r.cur; c != nil {
		have := c.first + uint64(len(c.samples))
		if have < pos { // cannot happen without a gap, handled above
			return
		}
		if from := have - pos; from < uint64(len(x)) {
			upto := min(uint64(len(x)), c.stop-pos)
			if upto > from {
				c.samples = append(c.samples, x[from:upto]...)
			}
		}
		if c.first+uint64(len(c.samples)) >= c.stop {
			r.Finish()
		}
	}
}

// Open starts the clip of event id, which started at stream position at: the pre-roll is
// taken from the history (as much of it as there is), and the post-roll follows as
// samples are fed. A clip still recording is finished first. Open returns false, and
// records nothing, when clips are off or the Library refuses new clips (quota hard limit,
// file system nearly full).
func (r *Recorder) Open(id int64, at uint64) bool {
	if r.cur != nil {
		r.Finish()
	}
	if !r.fed || !r.lib.admitOpen() {
		return false
	}
	oldest := r.end - r.filled
	first := max(oldest, at-min(at, r.pre))
	if first > r.end {
		first = r.end
	}
	c := &capture{machine: r.machine, event: id, rate: r.rate, first: first, start: r.timeOf(first),
		min: at + r.minPost, max: at + r.maxPost}
	c.stop = c.max
	c.samples = make([]float32, 0, c.max-first)
	n := uint64(len(r.hist))
	for p := first; p < min(r.end, c.stop); {
		i := p % n
		k := min(n-i, min(r.end, c.stop)-p)
		c.samples = append(c.samples, r.hist[i:i+k]...)
		p += k
	}
	r.cur = c
	if first+uint64(len(c.samples)) >= c.stop {
		r.Finish()
	}
	return true
}

// End tells the Recorder the event ended at stream position at: the clip stops at the
// later of at and the post-roll, and never later than the maximum post-roll. A clip that
// already has that much is handed to the Library at once.
func (r *Recorder) End(at uint64) {
	c := r.cur
	if c == nil {
		return
	}
	c.stop = min(max(at, c.min), c.max)
	if c.first+uint64(len(c.samples)) >= c.stop {
		c.samples = c.samples[:c.stop-c.first]
		r.Finish()
	}
}

// Recording reports whether a clip is being recorded.
func (r *Recorder) Recording() bool { return r.cur != nil }

// Finish ends the clip being recorded where it is now (at shutdown, after a gap, or when
// its post-roll is complete) and hands it to the Library, which writes it on its own
// goroutine. It does nothing when no clip is being recorded.
func (r *Recorder) Finish() {
	c := r.cur
	if c == nil {
		return
	}
	r.cur = nil
	if len(c.samples) == 0 {
		return
	}
	r.lib.submit(c)
}
