package lambdahttp_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/heraldrt/herald/shared/lambdahttp"
)

// BenchmarkInvoke turns an ALB and a payload 2.0 event into a request and
// the handler's answer back into the event source's response.
func BenchmarkInvoke(b *testing.B) {
	h := lambdahttp.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}), nil)
	for _, name := range []string{"alb_send_multivalue.json", "apigw_v2_stage.json"} {
		payload, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(context.Background(), payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
