package lambdahttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// ErrEvent wraps every error about an event that cannot become a request.
var ErrEvent = errors.New("lambdahttp: unusable event")

// source is the kind of event a request came from; it picks the response
// shape.
type source int

const (
	fromALB source = iota + 1
	fromV2
)

// toRequest builds the request an event describes.
func toRequest(ctx context.Context, ev event) (*http.Request, source, error) {
	switch ev.src {
	case fromALB:
		r, err := albRequest(ctx, ev.alb)
		return r, fromALB, err
	case fromV2:
		r, err := v2Request(ctx, ev.v2)
		return r, fromV2, err
	}
	return nil, 0, fmt.Errorf("%w: neither an ALB target-group event (requestContext.elb) nor payload format 2.0 (version, requestContext.http)", ErrEvent)
}

func albRequest(ctx context.Context, ev *events.ALBTargetGroupRequest) (*http.Request, error) {
	header := http.Header{}
	if ev.MultiValueHeaders != nil {
		for k, vs := range ev.MultiValueHeaders {
			for _, v := range vs {
				header.Add(k, v)
			}
		}
	} else {
		for k, v := range ev.Headers {
			header.Set(k, v)
		}
	}
	query := ev.MultiValueQueryStringParameters
	if query == nil {
		query = make(map[string][]string, len(ev.QueryStringParameters))
		for k, v := range ev.QueryStringParameters {
			query[k] = []string{v}
		}
	}
	return build(ctx, ev.HTTPMethod, ev.Path, true, rawQuery(query), header, ev.Body, ev.IsBase64Encoded)
}

func v2Request(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	rc := ev.RequestContext
	header := http.Header{}
	for k, v := range ev.Headers {
		header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	path := ev.RawPath
	if rc.Stage != "" && rc.Stage != "$default" {
		if rest, ok := strings.CutPrefix(path, "/"+rc.Stage); ok && (rest == "" || rest[0] == '/') {
			path = rest
		}
	}
	if path == "" {
		path = "/"
	}
	// Function URLs keep the path encoded; HTTP APIs decode it.
	encoded := strings.Contains(rc.DomainName, ".lambda-url.")
	r, err := build(ctx, rc.HTTP.Method, path, encoded, ev.RawQueryString, header, ev.Body, ev.IsBase64Encoded)
	if err == nil && rc.HTTP.SourceIP != "" {
		r.RemoteAddr = net.JoinHostPort(rc.HTTP.SourceIP, "0")
	}
	return r, err
}

// build assembles the request. path is percent-encoded when encoded is
// true and decoded otherwise; query is a raw (encoded) query string; raw
// is the body, base64 when b64 is true.
func build(ctx context.Context, method, path string, encoded bool, query string, header http.Header, raw string, b64 bool) (*http.Request, error) {
	if method == "" || !validMethod(method) {
		return nil, fmt.Errorf("%w: method %q", ErrEvent, method)
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("%w: path %q does not start with /", ErrEvent, path)
	}
	u := &url.URL{RawQuery: query}
	if encoded {
		p, err := url.PathUnescape(path)
		if err != nil {
			return nil, fmt.Errorf("%w: path %q: %w", ErrEvent, path, err)
		}
		u.Path = p
		if u.EscapedPath() != path {
			u.RawPath = path
		}
	} else {
		u.Path = path
	}
	body := []byte(raw)
	if b64 {
		var err error
		if body, err = base64.StdEncoding.DecodeString(raw); err != nil {
			return nil, fmt.Errorf("%w: body flagged base64 does not decode: %w", ErrEvent, err)
		}
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEvent, err)
	}
	r.URL = u
	r.RequestURI = u.RequestURI()
	r.Host = header.Get("Host")
	header.Del("Host")
	r.Header = header
	r.ContentLength = int64(len(body))
	if len(body) == 0 {
		r.Body = http.NoBody
	}
	if fwd := header.Values("X-Forwarded-For"); len(fwd) > 0 {
		// The load balancer appends the peer it saw: the last entry.
		hops := strings.Split(fwd[len(fwd)-1], ",")
		if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-1])); ip != nil {
			r.RemoteAddr = net.JoinHostPort(ip.String(), "0")
		}
	}
	return r, nil
}

// rawQuery joins ALB query parameters, which arrive as the client encoded
// them, back into a query string (keys sorted, values in order). Bytes
// that cannot appear in a query are escaped; existing escapes are kept.
func rawQuery(q map[string][]string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(queryText(k))
			b.WriteByte('=')
			b.WriteString(queryText(v))
		}
	}
	return b.String()
}

// queryText escapes the bytes of s that a raw query cannot hold (controls,
// spaces, non-ASCII, '#' and a '%' not starting an escape).
func queryText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		case c <= ' ' || c >= 0x7f || c == '#' || c == '%' || c == '"' || c == '<' || c == '>':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validMethod reports whether m is an HTTP token.
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
