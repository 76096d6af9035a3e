package gateway

import (
	"fmt"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// BenchmarkMembershipJoin measures a node applying one group join
// envelope, connection-level and user-level, with n connections of the
// hub in its index: each is a lookup by id or user, so the time must not
// grow with n.
func BenchmarkMembershipJoin(b *testing.B) {
	for _, scope := range []bus.Scope{bus.ScopeConnection, bus.ScopeUser} {
		for _, n := range []int{1_000, 10_000, 100_000} {
			b.Run(fmt.Sprintf("scope=%s/conns=%d", scope, n), func(b *testing.B) {
				s := &Server{idx: newIndex(0, 0)}
				for i := range n {
					s.idx.add(&conn{hub: "hub", id: fmt.Sprintf("c%d", i), user: fmt.Sprintf("u%d", i)})
				}
				id := "c7"
				if scope == bus.ScopeUser {
					id = "u7"
				}
				e := &bus.Envelope{Kind: bus.KindAddToGroup, Hub: "hub", Scope: scope, ID: id, Group: "g"}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					s.handle(e)
				}
			})
		}
	}
}
