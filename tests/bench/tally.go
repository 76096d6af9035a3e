package bench

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Tally counts deliveries from many reader goroutines and lets one
// goroutine wait for a total without polling in a tight loop.
type Tally struct {
	n      atomic.Int64
	target atomic.Int64
	wake   chan struct{}
}

// NewTally returns a zero Tally.
func NewTally() *Tally { return &Tally{wake: make(chan struct{}, 1)} }

// Add counts one delivery.
func (t *Tally) Add() {
	if t.n.Add(1) == t.target.Load() {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// Load returns the count so far.
func (t *Tally) Load() int64 { return t.n.Load() }

// WaitFor waits until the count reaches want. It fails when the count has
// not moved for stall (deliveries are missing or stuck). Only one
// goroutine may wait at a time.
func (t *Tally) WaitFor(want int64, stall time.Duration) error {
	if t.n.Load() >= want {
		return nil
	}
	t.target.Store(want)
	last, since := t.n.Load(), time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		n := t.n.Load()
		if n >= want {
			return nil
		}
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > stall {
			return fmt.Errorf("bench: %d of %d deliveries, none for %v", n, want, stall)
		}
		select {
		case <-t.wake:
		case <-tick.C:
		}
	}
}
