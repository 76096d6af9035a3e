// Package soak holds Herald's soak test, run by `make soak` (build tag soak;
// never by `make test` or CI): for SOAK_DURATION (default 2m) it churns
// connections and messages through an in-process emulator with plain HTTP
// and WebSocket clients, and checks that the heap and the goroutine count
// stay flat from round to round.
package soak
