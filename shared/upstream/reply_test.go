package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestReplyFrame(t *testing.T) {
	const verbatim = "{\"type\":3,\"invocationId\":\"7\",\"result\":\"hi\"}\x1e"
	void := "{\"type\":3,\"invocationId\":\"7\"}\x1e"
	errFrame := func(text string) string {
		return "{\"type\":3,\"invocationId\":\"7\",\"error\":" + fmt.Sprintf("%q", text) + "}\x1e"
	}
	tests := []struct {
		name string
		r    upstream.Response
		want string
	}{
		{"200 body verbatim", upstream.Response{StatusCode: 200, Body: []byte(verbatim)}, verbatim},
		{"200 several records", upstream.Response{StatusCode: 200, Body: []byte(verbatim + verbatim)}, verbatim + verbatim},
		{"200 empty", upstream.Response{StatusCode: 200}, void},
		{"204", upstream.Response{StatusCode: 204, Body: []byte("ignored")}, void},
		{"200 too large", upstream.Response{StatusCode: 200, TooLarge: true}, errFrame("Invocation failed, response too large.")},
		{"200 unframed", upstream.Response{StatusCode: 200, Body: []byte(`{"type":3,"invocationId":"7"}`)}, errFrame(upstream.ErrTextInvalidResponse)},
		{"200 not a hub message", upstream.Response{StatusCode: 200, Body: []byte("hello\x1e")}, errFrame(upstream.ErrTextInvalidResponse)},
		{"201", upstream.Response{StatusCode: 201}, errFrame("Invocation failed, status code 201")},
		{"401", upstream.Response{StatusCode: 401}, errFrame("Invocation failed, status code 401")},
		{"404", upstream.Response{StatusCode: 404, Body: []byte("not found")}, errFrame("Invocation failed, status code 404")},
		{"500", upstream.Response{StatusCode: 500}, errFrame("Invocation failed, status code 500")},
		{"deadline", upstream.Response{Err: fmt.Errorf("post: %w", context.DeadlineExceeded)}, errFrame(upstream.ErrTextTimeout)},
		{"net timeout", upstream.Response{Err: timeoutErr{}}, errFrame(upstream.ErrTextTimeout)},
		{"refused", upstream.Response{Err: errors.New("connection refused")}, errFrame(upstream.ErrTextUnreachable)},
		{"body read failed", upstream.Response{StatusCode: 200, Err: errors.New("reset")}, errFrame(upstream.ErrTextUnreachable)},
		{"shutdown", upstream.Response{Err: upstream.ErrClosed}, errFrame(upstream.ErrTextShuttingDown)},
		{"cancelled", upstream.Response{Err: context.Canceled}, errFrame(upstream.ErrTextShuttingDown)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := upstream.ReplyFrame(hubproto.JSON, "7", tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestStatusErrorText(t *testing.T) {
	if got := upstream.StatusErrorText(503); got != "Invocation failed, status code 503" {
		t.Error(got)
	}
}
