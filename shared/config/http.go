package config

import "time"

// HTTP is the HTTP-server part of the gateway binary's environment: the
// timeouts and header limit of every listener (main, TLS, admin), read by
// HTTPFromEnv. Each field names its variable and default; the defaults
// are those of node.HTTPLimits.
type HTTP struct {
	// ReadHeaderTimeout is HERALD_HTTP_READ_HEADER_TIMEOUT, how long a
	// client may take to send a request's headers (slowloris). Default 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout is HERALD_HTTP_READ_TIMEOUT, how long a client may take
	// to send a whole request, body included. Streams (WebSockets,
	// Server-Sent Events, Long Polling polls, the live trace) are exempt.
	// Default 30s.
	ReadTimeout time.Duration
	// WriteTimeout is HERALD_HTTP_WRITE_TIMEOUT, how long writing a
	// response may take; on a stream, each write. Default 30s.
	WriteTimeout time.Duration
	// IdleTimeout is HERALD_HTTP_IDLE_TIMEOUT, how long a keep-alive
	// connection may wait for its next request. Default 130s: above the
	// load balancer's 120s.
	IdleTimeout time.Duration
	// MaxHeaderBytes is HERALD_HTTP_MAX_HEADER_BYTES, the largest request
	// header block. Default 16384.
	MaxHeaderBytes int
}

// HTTPFromEnv reads the HTTP-server variables. Every problem is an error
// wrapping ErrInvalid that names the variable.
func HTTPFromEnv(get Getenv) (HTTP, error) {
	r := &reader{get: get}
	h := HTTP{
		ReadHeaderTimeout: r.duration("HERALD_HTTP_READ_HEADER_TIMEOUT", 10*time.Second),
		ReadTimeout:       r.duration("HERALD_HTTP_READ_TIMEOUT", 30*time.Second),
		WriteTimeout:      r.duration("HERALD_HTTP_WRITE_TIMEOUT", 30*time.Second),
		IdleTimeout:       r.duration("HERALD_HTTP_IDLE_TIMEOUT", 130*time.Second),
		MaxHeaderBytes:    r.integer("HERALD_HTTP_MAX_HEADER_BYTES", 16<<10),
	}
	return h, r.err
}
