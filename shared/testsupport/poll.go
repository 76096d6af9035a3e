package testsupport

import (
	"fmt"
	"testing"
	"time"
)

// Interval is how often Poll, Eventually and Until check their condition.
const Interval = 10 * time.Millisecond

// Poll calls check every Interval until it returns nil or timeout has
// passed, and returns nil or check's last error, naming how long it
// tried. check runs at least once, and once more after the deadline.
func Poll(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still failing after %v: %w", timeout, err)
		}
		time.Sleep(Interval)
	}
}

// Until polls cond like Poll and reports whether it held within timeout,
// for a test that then reports the state it found itself.
func Until(timeout time.Duration, cond func() bool) bool {
	return Poll(timeout, func() error {
		if cond() {
			return nil
		}
		return errFalse
	}) == nil
}

// errFalse is Until's error for a condition that does not hold.
var errFalse = fmt.Errorf("condition false")

// Eventually polls check like Poll and returns how long it took to
// succeed; after timeout it fails t with what and check's last error.
// Call it from the test's goroutine (it may call t.Fatalf).
func Eventually(t testing.TB, timeout time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	if err := Poll(timeout, check); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return time.Since(start)
}

// EventuallyTrue is Eventually for a condition without an error.
func EventuallyTrue(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	return Eventually(t, timeout, what, func() error {
		if cond() {
			return nil
		}
		return errFalse
	})
}
