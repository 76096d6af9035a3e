package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// A gateway's 200 answer that is longer than the REST route reads, or not
// JSON, is a 502: never a 200 with a cut result (which would be written as
// "{}", a success the client never gave).
func TestInvokeAnswerTooLongOrInvalid(t *testing.T) {
	for name, answer := range map[string]string{
		"too long": `{"result":"` + strings.Repeat("a", 2<<20) + `"}`,
		"not JSON": `{"result":`,
	} {
		t.Run(name, func(t *testing.T) {
			gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(answer))
			}))
			defer gw.Close()
			f := newFixture(t)
			if _, err := f.bus.Register(context.Background(), bus.Conn{Hub: "chat", ID: "c1", Addr: gw.URL}); err != nil {
				t.Fatal(err)
			}
			w := f.do("POST", "/api/hubs/chat/connections/c1/:invoke?api-version=2024-12-01", `{"target":"m","arguments":[]}`)
			if w.Code != http.StatusBadGateway || w.Header().Get("x-ms-error-code") != "Error.Service.Internal" {
				t.Fatalf("%d %q %.100s, want 502 Error.Service.Internal", w.Code, w.Header().Get("x-ms-error-code"), w.Body.String())
			}
		})
	}
}
