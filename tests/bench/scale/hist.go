package scale

import (
	"sync/atomic"
	"time"
)

const (
	// bucketWidth is the resolution of a Histogram.
	bucketWidth = 100 * time.Microsecond
	// histBuckets bounds a Histogram at 10 s; slower deliveries count in
	// the last bucket.
	histBuckets = 100_000
)

// Histogram counts delivery latencies in 100 µs buckets up to 10 s, from
// many goroutines at once, without locks.
type Histogram struct {
	b [histBuckets]atomic.Int64
}

// Observe counts one latency; negative ones count as zero.
func (h *Histogram) Observe(d time.Duration) {
	i := int(max(d, 0) / bucketWidth)
	h.b[min(i, histBuckets-1)].Add(1)
}

// Reset sets every bucket to zero. Observations racing with it may land
// on either side.
func (h *Histogram) Reset() {
	for i := range h.b {
		h.b[i].Store(0)
	}
}

// Buckets returns the non-empty buckets as [index, count] pairs.
func (h *Histogram) Buckets() [][2]int64 {
	var out [][2]int64
	for i := range h.b {
		if n := h.b[i].Load(); n > 0 {
			out = append(out, [2]int64{int64(i), n})
		}
	}
	return out
}

// Merged is histograms' buckets added up, for percentiles.
type Merged map[int64]int64

// Add adds buckets from Buckets.
func (m Merged) Add(buckets [][2]int64) {
	for _, b := range buckets {
		m[b[0]] += b[1]
	}
}

// Count is the number of observations.
func (m Merged) Count() int64 {
	var n int64
	for _, c := range m {
		n += c
	}
	return n
}

// Quantile returns the upper edge of the bucket holding quantile q
// (0 < q ≤ 1), or 0 when there are no observations.
func (m Merged) Quantile(q float64) time.Duration {
	total := m.Count()
	if total == 0 {
		return 0
	}
	rank := int64(q*float64(total) + 0.5)
	rank = max(rank, 1)
	var seen int64
	for i := range int64(histBuckets) {
		if seen += m[i]; seen >= rank {
			return time.Duration(i+1) * bucketWidth
		}
	}
	return histBuckets * bucketWidth
}
