package httpapi

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"
)

// healthTimeout bounds a health check's bus ping.
const healthTimeout = 5 * time.Second

// HealthCheck is one thing a health answer depends on besides the bus, such
// as a gateway node that is draining. Check returns nil while it works.
type HealthCheck struct {
	// Name keys the check in the JSON body, e.g. "gateway".
	Name string
	// Check reports why the part does not work, or nil.
	Check func(ctx context.Context) error
}

// healthBody is the 200 answer: every check "ok".
type healthBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// health answers 200 while the bus answers pings and every extra check
// passes, 503 otherwise. It needs no token (Azure's needs one; load
// balancers and probes cannot send one).
func (s *rest) health(c *call) (any, error) { return checkHealth(c.ctx(), s.bus, s.checks) }

// checkHealth runs the bus ping and the checks. On failure the error is a
// 503 apiError whose body also lists each check's result, e.g.
// {"code":"Error.Service.Unavailable","message":"Unhealthy: bus.",
// "status":"unhealthy","checks":{"bus":"...","gateway":"ok"}}.
func checkHealth(ctx context.Context, p Pinger, extra []HealthCheck) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	checks := make(map[string]string, 1+len(extra))
	var failed []string
	record := func(name string, err error) {
		if err == nil {
			checks[name] = "ok"
			return
		}
		checks[name] = err.Error()
		failed = append(failed, name)
	}
	// The answer needs no token: the bus's error (Redis addresses, host
	// names) goes to the log only.
	busErr := p.Ping(ctx)
	record("bus", busErr)
	if busErr != nil {
		checks["bus"] = "unavailable"
	}
	for _, hc := range extra {
		record(hc.Name, hc.Check(ctx))
	}
	if len(failed) == 0 {
		return healthBody{Status: "healthy", Checks: checks}, nil
	}
	sort.Strings(failed)
	msg := "Unhealthy: " + strings.Join(failed, ", ") + "."
	if checks["bus"] != "ok" {
		msg = "Unhealthy: the message bus does not answer."
	}
	return nil, &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable,
		msg: msg, checks: checks, cause: busErr}
}

// Pinger is what health checks ask: the bus.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Health serves GET and HEAD on /api/health and /api/v1/health alone, for
// processes that serve no REST API (a gateway node): 200 while p answers
// pings and every check passes, 503 with a JSON body naming what failed
// otherwise. No token is needed. HEAD gets the status alone, which is all
// the Azure SDKs look at.
func Health(p Pinger, checks ...HealthCheck) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := checkHealth(r.Context(), p, checks)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux := http.NewServeMux()
	for _, path := range []string{"/api/health", "/api/v1/health"} {
		mux.Handle("GET "+path, h)
		mux.Handle("HEAD "+path, h)
	}
	return mux
}
