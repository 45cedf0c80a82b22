package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	wire "signalcraft/core/api"
)

// hub numbers live updates, keeps the latest per machine and a replay ring
// of recent ones, and fans them out to stream subscribers without ever
// blocking the publisher: a subscriber whose queue is full is dropped (its
// stream ends and the client resumes from the ring).
type hub struct {
	mu     sync.Mutex
	seq    uint64
	ring   []wire.Live // circular, cap = replay size
	head   int         // index of the oldest entry
	n      int
	latest map[string]wire.Live
	subs   map[*subscriber]struct{}
	buf    int
	closed bool
}

type subscriber struct {
	machine string         // "" for all
	ch      chan wire.Live // updates in seq order
	gone    chan struct{}  // closed when the hub drops the subscriber
}

func newHub(seq0 uint64, replay, buf int) *hub {
	return &hub{seq: seq0, ring: make([]wire.Live, replay), latest: map[string]wire.Live{},
		subs: map[*subscriber]struct{}{}, buf: buf}
}

// seed numbers the machines' current states, so snapshots and a new
// stream's first messages have sequence numbers before any update arrives.
func (h *hub) seed(ls []wire.Live) {
	for _, l := range ls {
		h.publish(l)
	}
}

// publish numbers l and hands it to the subscribers. It never blocks on them.
func (h *hub) publish(l wire.Live) {
	l.Spectrum = slices.Clone(l.Spectrum)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.seq++
	l.Seq = h.seq
	if h.n < len(h.ring) {
		h.ring[(h.head+h.n)%len(h.ring)] = l
		h.n++
	} else {
		h.ring[h.head] = l
		h.head = (h.head + 1) % len(h.ring)
	}
	h.latest[l.MachineID] = l
	for s := range h.subs {
		if s.machine != "" && s.machine != l.MachineID {
			continue
		}
		select {
		case s.ch <- l:
		default:
			h.drop(s)
		}
	}
}

func (h *hub) drop(s *subscriber) {
	delete(h.subs, s)
	close(s.gone)
}

// subscribe registers a subscriber and returns, atomically with the
// registration, what it must be sent first: the updates after last from the
// replay ring if last is given and still there, otherwise every machine's
// latest state. Nothing is lost or repeated between the two.
func (h *hub) subscribe(machine string, last uint64, resume bool) (*subscriber, []wire.Live) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &subscriber{machine: machine, ch: make(chan wire.Live, h.buf), gone: make(chan struct{})}
	if h.closed {
		close(s.gone)
		return s, nil
	}
	h.subs[s] = struct{}{}
	oldest := h.seq - uint64(h.n) + 1 // seq of ring's first entry (if n > 0)
	var first []wire.Live
	if resume && last <= h.seq && last+1 >= oldest {
		for i := int(last + 1 - oldest); i < h.n; i++ {
			l := h.ring[(h.head+i)%len(h.ring)]
			if machine == "" || l.MachineID == machine {
				first = append(first, l)
			}
		}
		return s, first
	}
	for id, l := range h.latest {
		if machine == "" || id == machine {
			first = append(first, l)
		}
	}
	slices.SortFunc(first, func(a, b wire.Live) int { return cmpU64(a.Seq, b.Seq) })
	return s, first
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		h.drop(s)
	}
}

// snapshot returns the latest numbered state of the given machines.
func (h *hub) snapshot(ids []string) []wire.Live {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]wire.Live, 0, len(ids))
	for _, id := range ids {
		if l, ok := h.latest[id]; ok {
			out = append(out, l)
		}
	}
	return out
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		h.drop(s)
	}
}

// live serves GET /api/v1/live as Server-Sent Events.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	machine := r.URL.Query().Get("machine")
	if machine != "" {
		if _, err := s.machine(machine); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	var last uint64
	resume := false
	lastID := r.Header.Get(wire.HeaderLastEventID)
	if lastID == "" {
		lastID = r.URL.Query().Get("last_event_id") // for EventSource polyfills that cannot set headers
	}
	if lastID != "" {
		v, err := strconv.ParseUint(lastID, 10, 64)
		if err != nil {
			s.writeError(w, r, wire.Errorf(wire.CodeInvalid, "Last-Event-ID %q is not a sequence number", lastID))
			return
		}
		last, resume = v, true
	}
	rc := http.NewResponseController(w)
	sub, first := s.hub.subscribe(machine, last, resume)
	defer s.hub.unsubscribe(sub)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // no buffering in a reverse proxy
	w.WriteHeader(http.StatusOK)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	add := func(l wire.Live) {
		buf.WriteString("id: ")
		buf.WriteString(strconv.FormatUint(l.Seq, 10))
		buf.WriteString("\ndata: ")
		_ = enc.Encode(l) // a Live always encodes; Encode ends with "\n"
		buf.WriteString("\n")
	}
	flush := func() bool {
		// Each write gets Timeouts.Write: a client that cannot take an
		// update within it is gone, however long the stream has been open.
		_ = rc.SetWriteDeadline(time.Now().Add(s.o.Timeouts.Write))
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		buf.Reset()
		return rc.Flush() == nil
	}
	buf.WriteString("retry: 1000\n\n")
	for _, l := range first {
		add(l)
	}
	if !flush() {
		return
	}
	tick := time.NewTicker(s.o.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.gone:
			// Dropped for falling behind (or the server closes): end the
			// stream; the client resumes from the replay ring.
			for len(sub.ch) > 0 {
				add(<-sub.ch)
			}
			flush()
			return
		case l := <-sub.ch:
			add(l)
			for more := true; more; { // coalesce what is queued into one write
				select {
				case l := <-sub.ch:
					add(l)
				default:
					more = false
				}
			}
			if !flush() {
				return
			}
		case <-tick.C:
			buf.WriteString(": ping\n\n")
			if !flush() {
				return
			}
		}
	}
}
