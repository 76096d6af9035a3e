package bustest

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// testConnectionClaim: a connection id is claimed once across the
// deployment until its ttl runs out; ids of other hubs are separate.
func testConnectionClaim(t *testing.T, e *env) {
	const ttl = 500 * time.Millisecond
	e.ok("claim on the gateway node", e.gw.ClaimConnection(e.ctx, e.hub, "c1", ttl))
	if err := e.api.ClaimConnection(e.ctx, e.hub, "c1", ttl); !errors.Is(err, bus.ErrAlreadyClaimed) {
		t.Fatalf("second claim from the other node = %v, want ErrAlreadyClaimed", err)
	}
	if err := e.gw.ClaimConnection(e.ctx, e.hub, "c1", ttl); !errors.Is(err, bus.ErrAlreadyClaimed) {
		t.Fatalf("second claim = %v, want ErrAlreadyClaimed", err)
	}
	e.ok("claim another id", e.api.ClaimConnection(e.ctx, e.hub, "c2", ttl))
	e.ok("claim the id in another hub", e.api.ClaimConnection(e.ctx, e.hub+"_other", "c1", ttl))
	if err := e.gw.ClaimConnection(e.ctx, e.hub, "", ttl); !errors.Is(err, bus.ErrInvalidArgument) {
		t.Fatalf("empty id = %v, want ErrInvalidArgument", err)
	}
	deadline := time.Now().Add(Timeout)
	for {
		err := e.api.ClaimConnection(e.ctx, e.hub, "c1", ttl)
		if err == nil {
			break
		}
		if !errors.Is(err, bus.ErrAlreadyClaimed) || time.Now().After(deadline) {
			t.Fatalf("claim after the ttl = %v, want it claimed again", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
