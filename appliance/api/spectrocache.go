package api

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// spectroCache keeps the latest spectrogram answers (their JSON) and lets one computation
// run at a time. Clip files never change once written, so an answer keyed by clip id,
// SHA-256 and columns stays right; a clip viewed by several clients, or again, costs
// nothing, and a burst of requests cannot take more than one core from the machines'
// analysis (a 70-s 48-kHz clip is a quarter second of CPU, docs/BENCHMARKS.md).
type spectroCache struct {
	sem chan struct{} // one computation at a time

	mu    sync.Mutex
	max   int
	order *list.List // of *spectroEntry, most recent first
	byKey map[string]*list.Element
}

type spectroEntry struct {
	key  string
	body []byte
}

func newSpectroCache(max int) *spectroCache {
	return &spectroCache{sem: make(chan struct{}, 1), max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func spectroKey(clipID int64, sha string, columns int) string {
	return fmt.Sprintf("%d/%s/%d", clipID, sha, columns)
}

func (c *spectroCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*spectroEntry).body, true
	}
	return nil, false
}

func (c *spectroCache) put(key string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.byKey[key] = c.order.PushFront(&spectroEntry{key: key, body: body})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*spectroEntry).key)
	}
}

// compute returns the cached answer for key or runs fn, one at a time, and keeps its result.
func (c *spectroCache) compute(ctx context.Context, key string, fn func() ([]byte, error)) ([]byte, error) {
	if b, ok := c.get(key); ok {
		return b, nil
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	if b, ok := c.get(key); ok { // computed while this request waited
		return b, nil
	}
	b, err := fn()
	if err != nil {
		return nil, err
	}
	c.put(key, b)
	return b, nil
}
