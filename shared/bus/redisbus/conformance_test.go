package redisbus_test

import (
	"testing"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/bustest"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// TestConformance runs the bus conformance suite against a real Redis: in
// TwoNodes mode the nodes are separate Buses with separate subscription
// connections, sharing state only through Redis.
func TestConformance(t *testing.T) {
	rdb := newClient(t, "")
	bustest.Run(t, func(t *testing.T) func() bus.Bus {
		d := newDeployment(t, rdb)
		return func() bus.Bus {
			b, err := redisbus.New(redisbus.Config{Client: rdb, KeyPrefix: d.prefix})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	})
}
