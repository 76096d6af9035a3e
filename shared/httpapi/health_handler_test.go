package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/heraldrt/herald/shared/httpapi"
)

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func TestHealthHandler(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
	}{{nil, 200}, {errors.New("redis down"), 503}} {
		h := httpapi.Health(pinger{tc.err})
		for _, path := range []string{"/api/health", "/api/v1/health"} {
			for _, m := range []string{"GET", "HEAD"} {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(m, path, nil))
				if w.Code != tc.status {
					t.Errorf("%s %s with ping error %v: %d", m, path, tc.err, w.Code)
				}
			}
		}
	}
}

// The body names each check and what failed; the status alone tells the
// SDKs.
func TestHealthBodyNamesFailedChecks(t *testing.T) {
	draining := httpapi.HealthCheck{Name: "gateway", Check: func(context.Context) error { return errors.New("draining") }}
	ok := httpapi.HealthCheck{Name: "gateway", Check: func(context.Context) error { return nil }}
	for _, tc := range []struct {
		name    string
		bus     error
		check   httpapi.HealthCheck
		status  int
		want    map[string]string
		code    string
		overall string
	}{
		{"healthy", nil, ok, 200, map[string]string{"bus": "ok", "gateway": "ok"}, "", "healthy"},
		{"bus down", errors.New("redis down"), ok, 503, map[string]string{"bus": "unavailable", "gateway": "ok"}, "Error.Service.Unavailable", "unhealthy"},
		{"draining", nil, draining, 503, map[string]string{"bus": "ok", "gateway": "draining"}, "Error.Service.Unavailable", "unhealthy"},
	} {
		w := httptest.NewRecorder()
		httpapi.Health(pinger{tc.bus}, tc.check).ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/health", nil))
		var body struct {
			Code   string            `json:"code"`
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v: %s", tc.name, err, w.Body)
		}
		if w.Code != tc.status || body.Status != tc.overall || body.Code != tc.code || len(body.Checks) != len(tc.want) {
			t.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		for k, v := range tc.want {
			if body.Checks[k] != v {
				t.Errorf("%s: check %s = %q, want %q", tc.name, k, body.Checks[k], v)
			}
		}
		if got := w.Header().Get("x-ms-error-code"); got != tc.code {
			t.Errorf("%s: x-ms-error-code %q", tc.name, got)
		}
	}
}
