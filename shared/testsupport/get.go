package testsupport

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// GetBody fetches url until it answers (any status) or timeout passes, and
// returns the body; it fails t with what, the last error and logs (a
// process's output, may be nil) when nothing answered.
func GetBody(t testing.TB, url string, timeout time.Duration, what string, logs fmt.Stringer) string {
	t.Helper()
	var body string
	err := Poll(timeout, func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err
	})
	if err != nil {
		if logs == nil {
			logs = &Buffer{}
		}
		t.Fatalf("%s does not answer on %s: %v\n%s", what, url, err, logs)
	}
	return body
}
