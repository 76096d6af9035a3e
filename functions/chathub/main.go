// Command chathub is a sample upstream function: a chat hub written with
// package serverless, the Go counterpart of an Azure Functions app with
// SignalR triggers. Herald posts client invocations and connection events
// to it; it answers invocations and sends messages through Herald's REST
// API.
//
// Hub methods (connection.invoke(name, ...args) on the client):
//
//   - broadcast(text): sends newMessage({connectionId, sender, text}) to
//     every client of the hub.
//   - joinGroup(group) and leaveGroup(group): add or remove the caller's
//     connection; joinGroup(connectionId, group) and
//     leaveGroup(connectionId, group) name another connection, as in the
//     Azure SimpleChat sample.
//   - echo(value): returns value to the caller.
//
// Connected and disconnected events are logged.
//
// Configuration (environment):
//
//	HERALD_CONNECTION_STRING  the service's connection string (required;
//	                          `make run` prints the local emulator's)
//	HERALD_ACCESS_KEYS        comma-separated keys upstream requests are
//	                          verified against (default: the connection
//	                          string's AccessKey)
//	ADDR                      listen address (default 127.0.0.1:7071)
//
// It serves POST /runtime/webhooks/signalr, the path of the Azure Functions
// SignalR extension, so the upstream template
// http://127.0.0.1:7071/runtime/webhooks/signalr (the Azure emulator's
// default) reaches it. Run it locally with `go run ./functions/chathub`.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/serverless"
)

// webhookPath is where the Functions SignalR extension listens.
const webhookPath = "/runtime/webhooks/signalr"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("chathub stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	raw := os.Getenv("HERALD_CONNECTION_STRING")
	if raw == "" {
		return errors.New("HERALD_CONNECTION_STRING is required (the local emulator prints it: make run)")
	}
	cs, err := connstr.Parse(raw)
	if err != nil {
		return err
	}
	keys := splitList(os.Getenv("HERALD_ACCESS_KEYS"))
	if len(keys) == 0 {
		keys = []string{cs.AccessKey}
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:7071"
	}
	sender, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: raw})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("POST "+webhookPath, newHub(keys, sender, log))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("chathub listening", "url", "http://"+addr+webhookPath)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	<-errc // http.ErrServerClosed
	log.Info("chathub stopped")
	return nil
}

// newMessage is the payload of the newMessage client method.
type newMessage struct {
	ConnectionID string `json:"connectionId"`
	Sender       string `json:"sender"`
	Text         string `json:"text"`
}

func newHub(keys []string, sender *serverless.Sender, log *slog.Logger) *serverless.Hub {
	hub := serverless.NewHub(keys)
	hub.Logger = log
	hub.On("broadcast", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		var text string
		if err := inv.Bind(&text); err != nil {
			return nil, err
		}
		msg := newMessage{ConnectionID: inv.ConnectionID, Sender: inv.UserID, Text: text}
		return nil, sender.SendToAll(ctx, inv.Hub, "newMessage", msg)
	})
	hub.On("joinGroup", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		conn, group, err := groupArgs(inv)
		if err != nil {
			return nil, err
		}
		return nil, sender.AddToGroup(ctx, inv.Hub, conn, group)
	})
	hub.On("leaveGroup", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		conn, group, err := groupArgs(inv)
		if err != nil {
			return nil, err
		}
		return nil, sender.RemoveFromGroup(ctx, inv.Hub, conn, group)
	})
	hub.On("echo", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		if len(inv.Arguments) == 0 {
			return nil, errors.New("echo needs an argument")
		}
		return inv.Arguments[0], nil
	})
	hub.OnConnected(func(ctx context.Context, inv *serverless.InvocationContext) error {
		log.Info("connected", "hub", inv.Hub, "conn", inv.ConnectionID, "user", inv.UserID)
		return nil
	})
	hub.OnDisconnected(func(ctx context.Context, inv *serverless.InvocationContext) error {
		log.Info("disconnected", "hub", inv.Hub, "conn", inv.ConnectionID, "user", inv.UserID, "err", inv.Error)
		return nil
	})
	return hub
}

// groupArgs reads (group) or (connectionId, group).
func groupArgs(inv *serverless.InvocationContext) (conn, group string, err error) {
	switch len(inv.Arguments) {
	case 1:
		err = inv.Bind(&group)
		conn = inv.ConnectionID
	case 2:
		err = inv.Bind(&conn, &group)
	default:
		err = fmt.Errorf("%s takes (group) or (connectionId, group), got %d arguments", inv.Event, len(inv.Arguments))
	}
	if err == nil && (conn == "" || group == "") {
		err = fmt.Errorf("%s: empty connection id or group", inv.Event)
	}
	return conn, group, err
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
