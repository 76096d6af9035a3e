package serverless_test

import (
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/heraldrt/herald/shared/upstream"
)

const (
	key      = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
	otherKey = "another-access-key"
)

// upstreamRequest builds a signed upstream request as the service sends it.
func upstreamRequest(category, event, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/runtime/webhooks/signalr", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set(upstream.HeaderConnectionID, "conn-1")
	r.Header.Set(upstream.HeaderHub, "chat")
	r.Header.Set(upstream.HeaderCategory, category)
	r.Header.Set(upstream.HeaderEvent, event)
	r.Header.Set(upstream.HeaderSignature, upstream.Signature("conn-1", []string{key}))
	return r
}

func invocationRequest(id, target, args string) *http.Request {
	body := `{"type":1,"target":"` + target + `","arguments":` + args
	if id != "" {
		body += `,"invocationId":"` + id + `"`
	}
	return upstreamRequest("messages", target, "application/json", body+"}")
}
