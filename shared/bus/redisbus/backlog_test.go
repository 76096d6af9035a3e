package redisbus_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// TestBacklogLosesNothing: a gateway node whose reader falls behind (its
// handler is held while thousands of sends of assorted sizes are
// published) still receives every send Publish acknowledged, in order.
// A backlog is what a loaded node with a large fan-out builds up: the
// subscription connection's read buffer then fills with messages, one of
// which is cut by the buffer's end every time it is refilled.
func TestBacklogLosesNothing(t *testing.T) {
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(redisbus.Config{})
	fn := d.node(redisbus.Config{Stateless: true})
	const hub, n = "backlog", 4000
	ctx := t.Context()

	hold := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	t.Cleanup(release)
	got := make(chan int, n)
	sub, err := gw.Subscribe(ctx, func(e *bus.Envelope) {
		if e.Hub != hub || e.Message == nil {
			return
		}
		<-hold
		i, _ := strconv.Atoi(e.Message.Target)
		got <- i
	})
	must(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	_, err = gw.Register(ctx, bus.Conn{Hub: hub, ID: "c", User: "u"})
	must(t, err)

	// Payload sizes vary so that message boundaries fall anywhere in the
	// reader's buffer.
	for i := range n {
		e := send(hub, bus.ScopeAll, "", strconv.Itoa(i))
		e.Message.Arguments = []byte(`["` + strings.Repeat("x", i%97) + `"]`)
		must(t, fn.Publish(ctx, e))
	}
	release()

	timeout := time.After(30 * time.Second)
	for want := range n {
		select {
		case i := <-got:
			if i != want {
				t.Fatalf("after %d sends in order, got send %d: %d acknowledged sends lost", want, i, i-want)
			}
		case <-timeout:
			t.Fatalf("%d of %d acknowledged sends delivered within 30 s", want, n)
		}
	}
}
