package httpapi_test

import (
	"context"
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
