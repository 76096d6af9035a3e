package gateway

import (
	"math"
	"testing"
)

// TestResumeStateHostileAck: an Ack of any int64 drops only frames that
// were sent and are at or below its id; none wraps around.
func TestResumeStateHostileAck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		seq       int64
		wantFirst int64
		wantLeft  int
	}{
		{"min int64", math.MinInt64, 2, 3},
		{"min int64 plus one", math.MinInt64 + 1, 2, 3},
		{"negative", -1, 2, 3},
		{"zero", 0, 2, 3},
		{"acknowledged before", 1, 2, 3},
		{"next", 2, 3, 2},
		{"all", 4, 5, 0},
		{"beyond what was sent", 1 << 40, 5, 0},
		{"max int64", math.MaxInt64, 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newResumeState()
			for range 4 {
				r.push([]byte("0123456789"), 1000)
			}
			r.ack(1)
			freed := r.ack(tc.seq)
			if r.firstSeq != tc.wantFirst || len(r.unacked) != tc.wantLeft || r.bytes != 10*tc.wantLeft || freed != 10*(3-tc.wantLeft) {
				t.Fatalf("after Ack %d: firstSeq %d, %d frames, %d bytes, freed %d; want firstSeq %d, %d frames",
					tc.seq, r.firstSeq, len(r.unacked), r.bytes, freed, tc.wantFirst, tc.wantLeft)
			}
		})
	}
}
