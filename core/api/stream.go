package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// SSE framing used by the live stream.
const (
	// EventLive is the SSE event type of Live updates. Messages without an
	// "event:" line are Live updates too.
	EventLive = "live"
	// HeaderLastEventID carries the last seq a client received.
	HeaderLastEventID = "Last-Event-ID"
)

// Stream follows the live stream of one machine (all machines if machine is
// ""), calling fn with each update on the calling goroutine, until ctx is
// done. On a dropped connection it waits (WithReconnect backoff, reset after
// each successful connection) and reconnects with Last-Event-ID, so updates
// still in the server's replay buffer arrive without a gap. It returns
// ctx.Err() when ctx is done, and an *Error at once when the server refuses
// the stream for a reason retrying cannot fix (unauthorized, forbidden, not
// found, invalid, and rate_limited: the server answers it only to a token it
// refuses, after repeated failures). fn should return quickly: a client that falls far behind
// is disconnected by the server and resumes.
func (c *Client) Stream(ctx context.Context, machine string, fn func(Live)) error {
	var last string
	delay := c.retryMin
	for {
		connected, err := c.streamOnce(ctx, machine, &last, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch ErrorCode(err) {
		case CodeUnauthorized, CodeForbidden, CodeNotFound, CodeInvalid, CodeRateLimited:
			return err
		}
		if connected {
			delay = c.retryMin
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, c.retryMax)
	}
}

// errStreamIdle reports a stream silent for longer than the idle timeout.
var errStreamIdle = errors.New("live stream idle")

// streamOnce runs one connection. connected reports whether the server
// accepted the stream; *last is updated with each event id received.
func (c *Client) streamOnce(ctx context.Context, machine string, last *string, fn func(Live)) (connected bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := c.newRequest(ctx, "GET", PathLive, machineQuery(machine), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if *last != "" {
		req.Header.Set(HeaderLastEventID, *last)
	}
	watchdog := time.AfterFunc(c.idle, func() { cancel(errStreamIdle) })
	defer watchdog.Stop()
	resp, err := c.hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("api: live stream: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, readError(resp)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return false, &Error{Code: CodeInternal, Message: "live stream: unexpected content type " + ct}
	}
	watchdog.Reset(c.idle)
	err = readSSE(resp.Body, func() { watchdog.Reset(c.idle) }, func(id, event string, data []byte) error {
		if event != "" && event != EventLive {
			return nil
		}
		var l Live
		if err := json.Unmarshal(data, &l); err != nil {
			return fmt.Errorf("api: live stream: decode event %s: %w", id, err)
		}
		fn(l)
		if id != "" {
			*last = id
		}
		return nil
	})
	if cause := context.Cause(ctx); cause != nil && errors.Is(cause, errStreamIdle) {
		err = fmt.Errorf("api: %w for %v", errStreamIdle, c.idle)
	}
	return true, err
}

// readSSE parses a text/event-stream body, calling line for every line read
// (heartbeats included) and dispatch for every complete message with data.
func readSSE(r io.Reader, line func(), dispatch func(id, event string, data []byte) error) error {
	br := bufio.NewReaderSize(r, 16<<10)
	var id, event string
	var data []byte
	hasData := false
	for {
		s, err := br.ReadString('\n')
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF // the server never ends the stream itself
			}
			return err
		}
		line()
		s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
		if s == "" {
			if hasData {
				if err := dispatch(id, event, data); err != nil {
					return err
				}
			}
			event, data, hasData = "", data[:0], false
			continue
		}
		if s[0] == ':' {
			continue // comment: heartbeat
		}
		field, value, _ := strings.Cut(s, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			if !strings.ContainsRune(value, 0) {
				id = value
			}
		case "event":
			event = value
		case "data":
			if hasData {
				data = append(data, '\n')
			}
			data = append(data, value...)
			hasData = true
		}
	}
}
