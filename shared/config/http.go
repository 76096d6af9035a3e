package config

import (
	"reflect"
	"time"
)

// HTTPLimits are the timeouts and the header limit of every listener of
// a node (main, TLS and admin): the settings written once here and
// carried unchanged through config.Node.HTTP to node.Config.HTTP. A zero
// field means its default (WithDefaults).
type HTTPLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers (also the
	// first request of a new connection): slowloris on headers.
	ReadHeaderTimeout time.Duration `flag:"http-read-header-timeout" env:"HERALD_HTTP_READ_HEADER_TIMEOUT" default:"10s" usage:"every listener: a client that has not sent a request's headers by then is disconnected (slowloris)"`
	// ReadTimeout bounds reading a whole request, body included
	// (slowloris on bodies). Streams (WebSockets, Server-Sent Events, Long
	// Polling, the live trace) are GETs without a body and are exempt.
	ReadTimeout time.Duration `flag:"http-read-timeout" env:"HERALD_HTTP_READ_TIMEOUT" default:"30s" usage:"every listener: the same for a whole request, body included; streams (WebSockets, Server-Sent Events, Long Polling polls, the live trace) are exempt"`
	// WriteTimeout bounds writing a response; on a stream it bounds each
	// write instead, so a stream may last but a stalled reader cannot
	// hold a write.
	WriteTimeout time.Duration `flag:"http-write-timeout" env:"HERALD_HTTP_WRITE_TIMEOUT" default:"30s" usage:"every listener: writing a response; on a stream each write instead (the admin listener allows at least 2 minutes, for profiles)"`
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request: above the 120 s idle timeout of the template's load
	// balancer (AWS asks targets to keep connections longer than the
	// balancer does, else it may reuse one the target is closing).
	IdleTimeout time.Duration `flag:"http-idle-timeout" env:"HERALD_HTTP_IDLE_TIMEOUT" default:"130s" usage:"every listener: a keep-alive connection idle this long is closed; keep it above the load balancer's idle timeout (120 s in the template)"`
	// MaxHeaderBytes bounds a request's header block (request line
	// included): an access token is at most 4 KiB.
	MaxHeaderBytes int `flag:"http-max-header-bytes" env:"HERALD_HTTP_MAX_HEADER_BYTES" default:"16384" min:"1" usage:"every listener: larger request headers get 431"`
}

// WithDefaults returns l with each zero or negative field set to its
// default.
func (l HTTPLimits) WithDefaults() HTTPLimits {
	withDefaults(reflect.ValueOf(&l).Elem())
	return l
}
