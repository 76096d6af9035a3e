package bus_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

func BenchmarkMemoryPublish(b *testing.B) {
	ctx := context.Background()
	m := bus.NewMemory(bus.MemoryConfig{})
	defer m.Close()
	sub, err := m.Subscribe(ctx, func(*bus.Envelope) {})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	e := &bus.Envelope{
		Kind: bus.KindSend, Hub: "chat", Scope: bus.ScopeAll,
		Message: &bus.Message{Target: "newMessage", Arguments: json.RawMessage(`["hello"]`)},
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Publish(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}
