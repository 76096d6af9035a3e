package httpapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
)

// gatewayCount is a GatewayCounter answering a fixed count or error.
type gatewayCount struct {
	n   int
	err error
}

func (g gatewayCount) LiveNodes(context.Context) (int, error) { return g.n, g.err }

func TestNegotiateNeedsALiveGateway(t *testing.T) {
	cases := []struct {
		name   string
		gw     gatewayCount
		status int
	}{
		{"two gateways", gatewayCount{n: 2}, 200},
		{"no gateway", gatewayCount{}, 503},
		{"redis down", gatewayCount{err: fmt.Errorf("%w: dial tcp: connection refused", bus.ErrUnavailable)}, 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newNegotiate(t, httpapi.NegotiateConfig{Gateways: tc.gw})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("POST", "/api/negotiate?hub=chat", nil))
			if w.Code != tc.status {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			wantText := httpapi.ErrTextNoGateway
			if tc.gw.err != nil {
				wantText = "temporarily unavailable"
			}
			if tc.status == 503 && (!strings.Contains(w.Body.String(), wantText) ||
				w.Header().Get("x-ms-error-code") != "Error.Service.Unavailable" || strings.Contains(w.Body.String(), "refused")) {
				t.Fatalf("503 body %s", w.Body.String())
			}
		})
	}
}
