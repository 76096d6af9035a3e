package bustest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// handoverOf returns the Handover of node b, skipping the test when the
// implementation has none.
func handoverOf(t *testing.T, b bus.Bus) bus.Handover {
	t.Helper()
	h, ok := b.(bus.Handover)
	if !ok {
		t.Skip("the bus does not implement bus.Handover")
	}
	return h
}

// handoverEnv builds the KindHandover envelope of a takeover.
func handoverEnv(hub, id, taker string) *bus.Envelope {
	return &bus.Envelope{Kind: bus.KindHandover, Hub: hub, Scope: bus.ScopeConnection, ID: id, Taker: taker}
}

// testHandover: a connection attached to its node is never taken over;
// once detached, TakeOver moves it with its user and groups, and the
// handover envelope splits the hub's stream exactly: the old node sees
// what came before and after it, the new node (subscribed by TakeOver
// alone) sees it and what follows. The old node can neither attach, detach
// nor end it afterwards; its new owner can. Locate and Takeover.From name
// nodes: a moved connection locates to its new node's address, the
// connections its old node still holds to the old one.
func testHandover(t *testing.T, e *env) {
	oldN, newN, third := e.gw, e.more(), e.more()
	ho, hn, h3 := handoverOf(t, oldN), handoverOf(t, newN), handoverOf(t, third)
	rOld := e.subscribeOn(oldN)
	oldC := bus.Conn{Hub: e.hub, ID: "c1", User: "u1", Addr: "http://old.invalid"}
	newC := bus.Conn{Hub: e.hub, ID: "c1", Addr: "http://new.invalid"}
	thirdC := bus.Conn{Hub: e.hub, ID: "c1", Addr: "http://third.invalid"}
	_, err := oldN.Register(e.ctx, oldC)
	e.ok("Register", err)
	stays := bus.Conn{Hub: e.hub, ID: "o1", Addr: oldC.Addr} // another connection of the old node
	_, err = oldN.Register(e.ctx, stays)
	e.ok("Register", err)
	e.addToGroup("g1", "c1")
	rOld.expect(t, memberEnv(e.hub, bus.KindAddToGroup, bus.ScopeConnection, "c1", "g1"))

	if _, err := hn.TakeOver(e.ctx, newC, "t0"); !errors.Is(err, bus.ErrConnectionAttached) {
		t.Fatalf("TakeOver of an attached connection = %v, want ErrConnectionAttached", err)
	}
	e.ok("Detach", ho.Detach(e.ctx, oldC, "m0"))
	e.ok("Attach", ho.Attach(e.ctx, oldC))
	if _, err := hn.TakeOver(e.ctx, newC, "t0"); !errors.Is(err, bus.ErrConnectionAttached) {
		t.Fatalf("TakeOver after Attach = %v, want ErrConnectionAttached", err)
	}
	e.ok("Detach", ho.Detach(e.ctx, oldC, "json"))
	if _, err := ho.TakeOver(e.ctx, oldC, "t0"); !errors.Is(err, bus.ErrConnectionHeld) {
		t.Fatalf("TakeOver by its own node = %v, want ErrConnectionHeld", err)
	}
	before := sendEnv(e.hub, bus.ScopeConnection, "c1", "before")
	e.publish(before)
	rOld.expect(t, before)
	rNew := e.listen(newN) // no watcher: TakeOver alone must subscribe

	got, err := hn.TakeOver(e.ctx, newC, "t1")
	e.ok("TakeOver", err)
	want := bus.Takeover{From: oldC.Addr, User: "u1", Groups: []string{"g1"}, Meta: "json"}
	if got.From != want.From || got.User != want.User || got.Meta != want.Meta || !slices.Equal(got.Groups, want.Groups) {
		t.Fatalf("TakeOver = %+v, want %+v", got, want)
	}
	after := sendEnv(e.hub, bus.ScopeGroup, "g1", "after")
	e.publish(after)
	handover := handoverEnv(e.hub, "c1", "t1")
	rOld.expect(t, handover, after)
	rNew.expect(t, handover, after)

	more := bus.Conn{Hub: e.hub, ID: "n1", Addr: newC.Addr} // another connection of the new node
	_, err = newN.Register(e.ctx, more)
	e.ok("Register", err)
	e.wantLocate(map[string]string{"c1": newC.Addr, "n1": newC.Addr, "o1": oldC.Addr})
	e.wantConn("c1", true)
	e.wantUser("u1", true)
	e.wantGroup("g1", true)
	for name, err := range map[string]error{
		"Attach": ho.Attach(e.ctx, oldC), "Detach": ho.Detach(e.ctx, oldC, ""),
	} {
		if !errors.Is(err, bus.ErrConnectionNotFound) {
			t.Fatalf("%s by the old node after TakeOver = %v, want ErrConnectionNotFound", name, err)
		}
	}
	ended, err := ho.EndDetached(e.ctx, oldC)
	if err != nil || ended {
		t.Fatalf("EndDetached by the old node = %v, %v; want false, nil", ended, err)
	}
	e.wantConn("c1", true)
	if _, err := h3.TakeOver(e.ctx, thirdC, "t2"); !errors.Is(err, bus.ErrConnectionAttached) {
		t.Fatalf("TakeOver from a new owner that did not detach = %v, want ErrConnectionAttached", err)
	}
	e.ok("Detach by the new node", hn.Detach(e.ctx, newC, "m2"))
	got, err = h3.TakeOver(e.ctx, thirdC, "t2")
	e.ok("TakeOver by a third node", err)
	if got.From != newC.Addr || got.User != "u1" || got.Meta != "m2" {
		t.Fatalf("TakeOver by a third node = %+v, want From %q, User u1, Meta m2", got, newC.Addr)
	}
	rOld.expect(t, handoverEnv(e.hub, "c1", "t2"))
	e.wantLocate(map[string]string{"c1": thirdC.Addr, "n1": newC.Addr, "o1": oldC.Addr})
	e.ok("Detach by the third node", h3.Detach(e.ctx, thirdC, ""))
	ended, err = h3.EndDetached(e.ctx, thirdC)
	if err != nil || !ended {
		t.Fatalf("EndDetached by the third node = %v, %v; want true, nil", ended, err)
	}
	e.wantConn("c1", false)
	e.wantUser("u1", false)
	if _, err := hn.TakeOver(e.ctx, newC, "t3"); !errors.Is(err, bus.ErrConnectionNotFound) {
		t.Fatalf("TakeOver of an ended connection = %v, want ErrConnectionNotFound", err)
	}
	if _, err := h3.TakeOver(e.ctx, thirdC, ""); !errors.Is(err, bus.ErrInvalidArgument) {
		t.Fatalf("TakeOver without a taker = %v, want ErrInvalidArgument", err)
	}
	if err := e.api.Publish(e.ctx, handoverEnv(e.hub, "c1", "t4")); !errors.Is(err, bus.ErrInvalidArgument) {
		t.Fatalf("Publish of a handover envelope = %v, want ErrInvalidArgument", err)
	}
	e.ok("Unregister", newN.Unregister(e.ctx, e.hub, more.ID))
	e.ok("Unregister", oldN.Unregister(e.ctx, e.hub, stays.ID))
	e.fence(rOld)
}

// testHandoverRace: for each of 20 detached connections, the old node's
// EndDetached and two other nodes' TakeOvers run at once; exactly one
// wins, and the connection ends up where the winner says.
func testHandoverRace(t *testing.T, e *env) {
	oldN := e.gw
	ho := handoverOf(t, oldN)
	takers := []bus.Bus{e.more(), e.more()}
	const conns = 20
	for i := range conns {
		c := bus.Conn{Hub: e.hub, ID: fmt.Sprintf("c%d", i), Addr: "http://old.invalid"}
		_, err := oldN.Register(e.ctx, c)
		e.ok("Register", err)
		e.ok("Detach", ho.Detach(e.ctx, c, ""))
	}
	for i := range conns {
		id := fmt.Sprintf("c%d", i)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []string
		)
		wg.Go(func() {
			ended, err := ho.EndDetached(e.ctx, bus.Conn{Hub: e.hub, ID: id, Addr: "http://old.invalid"})
			if err != nil {
				t.Errorf("EndDetached %s: %v", id, err)
			}
			if ended {
				mu.Lock()
				winners = append(winners, "end")
				mu.Unlock()
			}
		})
		for j, b := range takers {
			wg.Go(func() {
				addr := fmt.Sprintf("http://taker%d.invalid", j)
				_, err := b.(bus.Handover).TakeOver(e.ctx, bus.Conn{Hub: e.hub, ID: id, Addr: addr}, fmt.Sprintf("t%d", j))
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, addr)
					mu.Unlock()
				case !errors.Is(err, bus.ErrConnectionNotFound) && !errors.Is(err, bus.ErrConnectionAttached):
					t.Errorf("TakeOver %s: %v", id, err)
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("connection %s: winners %q, want exactly one", id, winners)
		}
		addr, err := e.api.Locate(e.ctx, e.hub, id)
		switch {
		case winners[0] == "end":
			if !errors.Is(err, bus.ErrConnectionNotFound) {
				t.Fatalf("Locate %s after EndDetached won = %q, %v; want ErrConnectionNotFound", id, addr, err)
			}
		case err != nil || addr != winners[0]:
			t.Fatalf("Locate %s after TakeOver by %s = %q, %v", id, winners[0], addr, err)
		}
	}
}
