package main

import (
	"fmt"
	"log/slog"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/emulator"
)

// openBus returns the Redis bus for redisURL, or nil (the emulator then
// runs its own in-memory bus), and a function that closes what was opened.
func openBus(redisURL, role string, log *slog.Logger) (bus.Bus, func(), error) {
	if redisURL == "" {
		return nil, func() {}, nil
	}
	redisbus.RouteClientLogs(log)
	client, err := redisbus.NewClient(redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("--redis: %w", err)
	}
	b, err := redisbus.New(redisbus.Config{
		Client:    client,
		Stateless: role == emulator.RoleFunctions,
		Logger:    log,
	})
	if err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("--redis: %w", err)
	}
	return b, func() {
		if err := b.Close(); err != nil {
			log.Warn("close bus", "err", err)
		}
		_ = client.Close()
	}, nil
}
