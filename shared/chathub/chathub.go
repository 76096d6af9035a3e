// Package chathub is Herald's sample serverless chat hub, written with
// package serverless (the Go counterpart of an Azure Functions app with
// SignalR triggers). functions/chathub serves it; the end-to-end tests run
// it in process.
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
package chathub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/heraldrt/herald/shared/serverless"
)

// NewMessage is the payload of the newMessage client method.
type NewMessage struct {
	ConnectionID string `json:"connectionId"`
	Sender       string `json:"sender"`
	Text         string `json:"text"`
}

// New returns the sample chat hub: upstream requests are verified against
// keys, messages and group changes go out through sender.
func New(keys []string, sender *serverless.Sender, log *slog.Logger) *serverless.Hub {
	hub := serverless.NewHub(keys)
	hub.Logger = log
	hub.On("broadcast", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		var text string
		if err := inv.Bind(&text); err != nil {
			return nil, err
		}
		msg := NewMessage{ConnectionID: inv.ConnectionID, Sender: inv.UserID, Text: text}
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
