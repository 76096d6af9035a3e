package bustest

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// testConnectionQuota: the deployment-wide and per-user connection limits
// count acquisitions on every node; a release frees a slot; a refused
// acquisition counts nothing.
func testConnectionQuota(t *testing.T, e *env) {
	lim := bus.ConnLimits{Max: 3, PerUser: 2}
	acquire := func(b bus.Bus, hub, user string) error { return b.AcquireConnection(e.ctx, hub, user, lim) }
	wantLimit := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, bus.ErrLimitReached) {
			t.Fatalf("%s = %v, want ErrLimitReached", what, err)
		}
	}
	other := e.hub + "_other"
	e.ok("acquire u1", acquire(e.gw, e.hub, "u1"))
	e.ok("acquire u1 again", acquire(e.gw, e.hub, "u1"))
	wantLimit("acquire a third u1 (per user)", acquire(e.gw, e.hub, "u1"))
	wantLimit("check u1 from the other node", e.api.CheckConnection(e.ctx, e.hub, "u1", lim))
	e.ok("check u1 in another hub", e.api.CheckConnection(e.ctx, other, "u1", lim))
	e.ok("check anonymous", e.api.CheckConnection(e.ctx, e.hub, "", lim))
	e.ok("acquire anonymous on the other node", acquire(e.api, other, ""))
	wantLimit("acquire over the deployment limit", acquire(e.api, e.hub, "u2"))
	wantLimit("check over the deployment limit", e.gw.CheckConnection(e.ctx, e.hub, "u2", lim))
	e.ok("no limits", e.gw.CheckConnection(e.ctx, e.hub, "u1", bus.ConnLimits{}))

	e.ok("release u1", e.gw.ReleaseConnection(e.ctx, e.hub, "u1"))
	e.ok("acquire u2 after a release", acquire(e.api, e.hub, "u2"))
	wantLimit("acquire u1 when full again", acquire(e.gw, e.hub, "u1"))
	e.ok("release anonymous", e.api.ReleaseConnection(e.ctx, other, ""))
	e.ok("release u2", e.api.ReleaseConnection(e.ctx, e.hub, "u2"))
	e.ok("acquire u1 once more", acquire(e.gw, e.hub, "u1"))
	wantLimit("acquire a third u1 after releases", acquire(e.gw, e.hub, "u1"))
	e.ok("release u1", e.gw.ReleaseConnection(e.ctx, e.hub, "u1"))
	e.ok("release u1", e.gw.ReleaseConnection(e.ctx, e.hub, "u1"))
	e.ok("everything released", e.api.CheckConnection(e.ctx, e.hub, "u1", bus.ConnLimits{Max: 1, PerUser: 1}))
}

// testNegotiateRate: negotiates taken on any node share one budget per
// second; past it, ErrLimitReached comes with the wait until the next
// second.
func testNegotiateRate(t *testing.T, e *env) {
	const perSecond = 4
	var refused, taken int
	start := time.Now()
	for i := range 4 * perSecond {
		n := e.gw
		if i%2 == 1 {
			n = e.api
		}
		retry, err := n.TakeNegotiate(e.ctx, perSecond)
		switch {
		case err == nil:
			taken++
		case errors.Is(err, bus.ErrLimitReached):
			refused++
			if retry <= 0 || retry > time.Second {
				t.Fatalf("TakeNegotiate refused with retryAfter %v, want (0, 1s]", retry)
			}
		default:
			t.Fatalf("TakeNegotiate: %v", err)
		}
	}
	// Each clock second the calls touched allows perSecond.
	seconds := int(time.Since(start)/time.Second) + 2
	if refused == 0 || taken < perSecond || taken > perSecond*seconds {
		t.Fatalf("%d negotiates taken, %d refused in %d clock seconds at most, with %d per second",
			taken, refused, seconds, perSecond)
	}
	if _, err := e.gw.TakeNegotiate(e.ctx, 0); err != nil {
		t.Fatalf("TakeNegotiate without a limit: %v", err)
	}
}
