package testsupport_test

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/testsupport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Poll returns nil as soon as check succeeds, after as many tries as it
// took.
func TestPollRetriesUntilSuccess(t *testing.T) {
	calls := 0
	err := testsupport.Poll(10*time.Second, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Poll = %v after %d calls, want nil after 3", err, calls)
	}
}

// After the timeout Poll returns check's last error, wrapped.
func TestPollReturnsLastError(t *testing.T) {
	errLast := errors.New("last")
	calls := 0
	err := testsupport.Poll(30*time.Millisecond, func() error {
		calls++
		if calls > 1 {
			return errLast
		}
		return errors.New("first")
	})
	if !errors.Is(err, errLast) || calls < 2 {
		t.Fatalf("Poll = %v after %d calls, want the last error", err, calls)
	}
}

func TestUntil(t *testing.T) {
	if testsupport.Until(20*time.Millisecond, func() bool { return false }) {
		t.Error("Until reported a condition that never held")
	}
	n := 0
	if !testsupport.Until(10*time.Second, func() bool { n++; return n == 2 }) {
		t.Error("Until missed a condition that held")
	}
}

func TestEventuallyReturnsElapsed(t *testing.T) {
	start := time.Now()
	n := 0
	d := testsupport.EventuallyTrue(t, 10*time.Second, "second call", func() bool { n++; return n == 2 })
	if d <= 0 || d > time.Since(start) {
		t.Errorf("Eventually took %v, want (0, %v]", d, time.Since(start))
	}
}
