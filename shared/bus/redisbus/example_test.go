package redisbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// A gateway node and the functions share one Redis: the functions publish
// and change membership, the gateway node delivers to the connections it
// holds. It needs Redis (REDIS_URL, which TestMain sets): make test-unit,
// which starts no server, skips it by its name.
func Example_redis() {
	ctx := context.Background()
	rdb, err := redisbus.NewClient(os.Getenv("REDIS_URL")) // e.g. redis://localhost:6379
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Close()
	prefix := "example-" + fmt.Sprint(os.Getpid()) // keeps runs apart in a shared Redis

	gateway, err := redisbus.New(redisbus.Config{Client: rdb, KeyPrefix: prefix, NodeID: "gw-1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer gateway.Close()
	functions, err := redisbus.New(redisbus.Config{Client: rdb, KeyPrefix: prefix, Stateless: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer functions.Close()

	done := make(chan struct{})
	sub, err := gateway.Subscribe(ctx, func(e *bus.Envelope) {
		switch e.Kind {
		case bus.KindSend:
			fmt.Printf("%s to %s %q: %s%s\n", e.Kind, e.Scope, e.ID, e.Message.Target, e.Message.Arguments)
			close(done)
		default:
			fmt.Printf("%s: %s %q, group %q\n", e.Kind, e.Scope, e.ID, e.Group)
		}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()

	// The gateway registers a connection once its handshake completes;
	// from then on the hub's envelopes reach it.
	if _, err := gateway.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", User: "alice"}); err != nil {
		fmt.Println(err)
		return
	}
	// The REST function changes membership and sends, from any process.
	_ = functions.AddToGroup(ctx, "chat", "room", "c1")
	_ = functions.Publish(ctx, &bus.Envelope{
		Kind: bus.KindSend, Hub: "chat", Scope: bus.ScopeGroup, ID: "room",
		Message: &bus.Message{Target: "newMessage", Arguments: json.RawMessage(`["hi"]`)},
	})
	<-done
	n, _ := functions.GroupCount(ctx, "chat", "room")
	fmt.Println("connections in room:", n)

	_ = gateway.Unregister(ctx, "chat", "c1")
	ok, _ := functions.GroupExists(ctx, "chat", "room")
	fmt.Println("room exists:", ok)
	// Output:
	// add-to-group: connection "c1", group "room"
	// send to group "room": newMessage["hi"]
	// connections in room: 1
	// room exists: false
}
