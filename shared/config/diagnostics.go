package config

import (
	"fmt"
	"strings"

	"github.com/heraldrt/herald/shared/diag"
)

// Diagnostics is the diagnostics part of the gateway binary's environment,
// read by DiagnosticsFromEnv. Each field names its variable and default.
type Diagnostics struct {
	// LogConnectivity is HERALD_LOG_CONNECTIVITY: log ConnectionStarted,
	// ConnectionEnded and ConnectionAborted (with the reason). Default
	// false.
	LogConnectivity bool
	// LogMessaging is HERALD_LOG_MESSAGING: off, all (every message's
	// receipt and delivery to each connection, with its tracing id) or
	// diagnostic (deliveries to diagnostic clients only). Default off.
	LogMessaging diag.MessagingMode
	// LogHTTP is HERALD_LOG_HTTP: log every HTTP request (method, path
	// without query, status, duration). Default false.
	LogHTTP bool
	// AdminAddr is HERALD_ADMIN_ADDR, the address of the admin listener
	// (pprof, /metrics), e.g. 127.0.0.1:6060. Default: none (off).
	AdminAddr string
	// PublicMetrics is HERALD_PUBLIC_METRICS: serve /metrics on the main
	// listener too, without hub names. Default false (admin listener only).
	PublicMetrics bool
	// MaxDiagnosticConnections is HERALD_MAX_DIAGNOSTIC_CONNECTIONS, the
	// most diagnostic clients per node. Default 100.
	MaxDiagnosticConnections int
}

// DiagnosticsFromEnv reads the diagnostics variables. Every problem is an
// error wrapping ErrInvalid that names the variable.
func DiagnosticsFromEnv(get Getenv) (Diagnostics, error) {
	r := &reader{get: get}
	d := Diagnostics{
		LogConnectivity:          r.boolean("HERALD_LOG_CONNECTIVITY"),
		LogHTTP:                  r.boolean("HERALD_LOG_HTTP"),
		AdminAddr:                r.str("HERALD_ADMIN_ADDR", ""),
		PublicMetrics:            r.boolean("HERALD_PUBLIC_METRICS"),
		MaxDiagnosticConnections: r.integer("HERALD_MAX_DIAGNOSTIC_CONNECTIONS", 100),
	}
	mode, err := diag.ParseMessagingMode(r.get("HERALD_LOG_MESSAGING"))
	if err != nil {
		r.fail("HERALD_LOG_MESSAGING", err)
	}
	d.LogMessaging = mode
	return d, r.err
}

// boolean reads true/false (also 1/0, yes/no, on/off); empty is false.
func (r *reader) boolean(name string) bool {
	switch v := strings.ToLower(strings.TrimSpace(r.get(name))); v {
	case "", "false", "0", "no", "off":
		return false
	case "true", "1", "yes", "on":
		return true
	default:
		r.fail(name, fmt.Errorf("%q is not a boolean (true or false)", v))
		return false
	}
}
