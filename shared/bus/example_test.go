package bus_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/heraldrt/herald/shared/bus"
)

func ExampleMemory() {
	ctx := context.Background()
	b := bus.NewMemory(bus.MemoryConfig{})
	defer b.Close()

	// A gateway subscribes once and routes each envelope to its connections.
	sub, err := b.Subscribe(ctx, func(e *bus.Envelope) {
		switch e.Kind {
		case bus.KindSend:
			fmt.Printf("%s to %s %q: %s%s\n", e.Kind, e.Scope, e.ID, e.Message.Target, e.Message.Arguments)
		default:
			fmt.Printf("%s: %s %q, group %q\n", e.Kind, e.Scope, e.ID, e.Group)
		}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()

	// The gateway registers a connection once its handshake completes.
	if _, err := b.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", User: "alice"}); err != nil {
		fmt.Println(err)
		return
	}
	// The REST API changes membership and sends messages.
	_ = b.AddToGroup(ctx, "chat", "room", "c1")
	_ = b.Publish(ctx, &bus.Envelope{
		Kind: bus.KindSend, Hub: "chat", Scope: bus.ScopeGroup, ID: "room",
		Message: &bus.Message{Target: "newMessage", Arguments: json.RawMessage(`["hi"]`)},
	})
	ok, _ := b.GroupExists(ctx, "chat", "room")
	fmt.Println("room exists:", ok)

	_ = b.Unregister(ctx, "chat", "c1")
	ok, _ = b.GroupExists(ctx, "chat", "room")
	fmt.Println("room exists:", ok)
	// Output:
	// add-to-group: connection "c1", group "room"
	// send to group "room": newMessage["hi"]
	// room exists: true
	// room exists: false
}
