package alert

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Silence creates a silence, or replaces the one with s.ID if that is set, and returns its
// ID. It takes effect at the next Tick.
func (e *Engine) Silence(s Silence, now time.Time) (string, error) {
	if err := s.validate(now); err != nil {
		return "", fmt.Errorf("silence: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s.ID == "" {
		e.silenceSeq++
		s.ID = strconv.FormatUint(e.silenceSeq, 10)
	} else if e.silences[s.ID] == nil {
		return "", fmt.Errorf("silence %q: %w", s.ID, ErrNotFound)
	}
	m, _ := s.Matchers.compiled()
	s.Matchers = m
	e.silences[s.ID] = &silence{Silence: s, m: m}
	return s.ID, nil
}

// ExpireSilence ends a silence at now (a silence that has not started yet never will).
func (e *Engine) ExpireSilence(id string, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.silences[id]
	if s == nil {
		return fmt.Errorf("silence %q: %w", id, ErrNotFound)
	}
	switch s.Status(now) {
	case SilenceExpired:
		return fmt.Errorf("silence %q: %w", id, ErrExpired)
	case SilencePending:
		s.StartsAt = now
	}
	s.EndsAt = now
	return nil
}

// Acknowledge acknowledges an alert (target is its fingerprint) or every pending or firing
// alert of a group (target is a group key). Acknowledged alerts are not repeated and do not
// escalate; an alert that joins the group later is announced as usual.
func (e *Engine) Acknowledge(target, who, comment string, now time.Time) error {
	if strings.TrimSpace(who) == "" {
		return fmt.Errorf("acknowledge %q: %w", target, &FieldError{Field: "who", Value: who, Reason: "is required"})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ack := func(a *Alert) bool {
		if a == nil || a.Status == StatusResolved {
			return false
		}
		if a.Ack == nil {
			a.Ack = &Ack{By: who, At: now, Comment: comment}
		}
		return true
	}
	byFP := map[string]*Alert{}
	for _, s := range e.list {
		if s.Alert != nil {
			byFP[s.Alert.Fingerprint] = s.Alert
		}
	}
	if ack(byFP[target]) {
		return nil
	}
	if g := e.groups[target]; g != nil {
		n := 0
		for _, fp := range g.Members {
			if ack(byFP[fp]) {
				n++
			}
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("acknowledge: no active alert or group %q: %w", target, ErrNotFound)
}

// Alerts returns every pending, firing and not yet forgotten resolved alert, firing first,
// with rendered annotations.
func (e *Engine) Alerts() []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Alert
	for _, s := range e.list {
		if s.Alert != nil {
			out = append(out, e.view(s.Alert))
		}
	}
	slices.SortFunc(out, compareAlerts)
	return out
}

// Groups returns the aggregation groups, by key.
func (e *Engine) Groups() []Group {
	e.mu.Lock()
	defer e.mu.Unlock()
	byFP := map[string]*Alert{}
	for _, s := range e.list {
		if s.Alert != nil {
			byFP[s.Alert.Fingerprint] = s.Alert
		}
	}
	var out []Group
	for _, key := range slices.Sorted(maps.Keys(e.groups)) {
		g := e.groups[key]
		v := Group{Key: g.Key, Receiver: g.Receiver, Labels: maps.Clone(g.Labels), NextFlush: g.NextFlush, LastNotified: g.LastNotified}
		var firing []*Alert
		for _, fp := range g.Members {
			if a := byFP[fp]; a != nil {
				v.Alerts = append(v.Alerts, e.view(a))
				if a.Status == StatusFiring {
					firing = append(firing, a)
				}
			}
		}
		slices.SortFunc(v.Alerts, compareAlerts)
		v.Acknowledged = allAcked(firing)
		out = append(out, v)
	}
	return out
}

// Silences returns every silence not yet garbage-collected (see Silence.Status), by ID.
func (e *Engine) Silences() []Silence {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.silenceList()
}

func (e *Engine) silenceList() []Silence {
	var out []Silence
	for _, s := range e.silences {
		c := s.Silence
		c.Matchers = slices.Clone(c.Matchers)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Silence) int {
		na, errA := strconv.ParseUint(a.ID, 10, 64)
		nb, errB := strconv.ParseUint(b.ID, 10, 64)
		if errA == nil && errB == nil && na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Pending returns the notifications Tick returned that have not been confirmed, oldest first.
func (e *Engine) Pending() []Notification {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.outbox)
}

// OutboxDropped returns how many unconfirmed notifications the outbox has dropped, oldest
// first, since New: it holds at most 10000, so a caller that cannot confirm for a very
// long time (its database cannot be written) loses the oldest, and should say so.
func (e *Engine) OutboxDropped() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.outDropped
}

// Confirm drops notifications from the outbox once they are durably enqueued.
func (e *Engine) Confirm(keys ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	done := make(map[string]bool, len(keys))
	for _, k := range keys {
		done[k] = true
	}
	e.outbox = slices.DeleteFunc(e.outbox, func(n Notification) bool { return done[n.Key] })
}

// Snapshot returns a deep copy of the engine's state, to be saved (as JSON) and passed to
// New after a restart.
func (e *Engine) Snapshot() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := State{Version: StateVersion, Instance: e.instance, Seq: e.seq, SilenceSeq: e.silenceSeq}
	for _, s := range e.list {
		c := *s
		if s.Alert != nil {
			a := s.Alert.clone()
			c.Alert = &a
		}
		st.Series = append(st.Series, c)
	}
	slices.SortFunc(st.Series, func(a, b Series) int {
		return strings.Compare(seriesKey(a.Rule, a.Machine), seriesKey(b.Rule, b.Machine))
	})
	for _, key := range slices.Sorted(maps.Keys(e.groups)) {
		g := *e.groups[key]
		g.Labels = maps.Clone(g.Labels)
		g.Members = slices.Clone(g.Members)
		g.SentFiring, g.SentResolved = slices.Clone(g.SentFiring), slices.Clone(g.SentResolved)
		g.Escalated = maps.Clone(g.Escalated)
		g.Announced = cloneAnnounced(g.Announced)
		st.Groups = append(st.Groups, g)
	}
	st.Silences = e.silenceList()
	st.Outbox = slices.Clone(e.outbox)
	return st
}
