package main

import (
	"fmt"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// openBus returns the Redis bus for redisURL configured by cfg (Client is
// set here), or nil (the emulator then runs its own in-memory bus), and a
// function that closes what was opened.
func openBus(cfg redisbus.Config, redisURL string) (bus.Bus, func(), error) {
	if redisURL == "" {
		return nil, func() {}, nil
	}
	log := cfg.Logger
	redisbus.RouteClientLogs(log)
	client, err := redisbus.NewClient(redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("--redis: %w", err)
	}
	cfg.Client = client
	b, err := redisbus.New(cfg)
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
