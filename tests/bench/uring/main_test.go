package uring

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that every test and benchmark joined its goroutines.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
