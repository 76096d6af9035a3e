package albstand

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// LambdaPayloadLimit is the ALB's limit on a request or response body for a Lambda
// target (1 MB); over it the ALB answers 413 (request) or 502 (response).
const LambdaPayloadLimit = 1_000_000

// Rule is one listener rule.
type Rule struct {
	Priority    int
	Patterns    []string // path patterns, case-sensitive, * and ?
	TargetGroup string   // ARN
}

// Invoker is a Lambda function behind a Lambda target group.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// FixedResponse is a listener's fixed-response default action.
type FixedResponse struct {
	Status      int
	ContentType string
	Body        string
}

// LB is the running stand-in.
type LB struct {
	srv      *httptest.Server
	log      *slog.Logger
	mu       sync.Mutex
	rules    []compiledRule
	fallback FixedResponse
	lambdas  map[string]lambdaGroup
	groups   map[string]*Group
}

type compiledRule struct {
	Rule
	re []*regexp.Regexp
}

type lambdaGroup struct {
	name       string
	fn         Invoker
	multiValue bool
}

// New starts the load balancer on a loopback port with the listener's rules and default
// fixed response. Close stops it.
func New(log *slog.Logger, rules []Rule, fallback FixedResponse) *LB {
	lb := &LB{log: log, fallback: fallback, lambdas: map[string]lambdaGroup{}, groups: map[string]*Group{}}
	for _, r := range rules {
		c := compiledRule{Rule: r}
		for _, p := range r.Patterns {
			c.re = append(c.re, Glob(p))
		}
		lb.rules = append(lb.rules, c)
	}
	sort.SliceStable(lb.rules, func(i, j int) bool { return lb.rules[i].Priority < lb.rules[j].Priority })
	lb.srv = httptest.NewServer(lb)
	return lb
}

// URL is the load balancer's endpoint, http://127.0.0.1:PORT.
func (lb *LB) URL() string { return lb.srv.URL }

// Close stops the listener and every target group's health checks, and cuts what is
// still connected.
func (lb *LB) Close() {
	lb.srv.CloseClientConnections()
	lb.srv.Close()
	lb.mu.Lock()
	groups := make([]*Group, 0, len(lb.groups))
	for _, g := range lb.groups {
		groups = append(groups, g)
	}
	lb.mu.Unlock()
	for _, g := range groups {
		g.close()
	}
}

// AddLambda makes the target group arn invoke fn; multiValue is the target group's
// lambda.multi_value_headers.enabled.
func (lb *LB) AddLambda(arn, name string, fn Invoker, multiValue bool) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.lambdas[arn] = lambdaGroup{name: name, fn: fn, multiValue: multiValue}
}

// AddGroup adds an IP target group.
func (lb *LB) AddGroup(arn string, g *Group) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.groups[arn] = g
}

// Glob turns an ALB path pattern (case-sensitive; * any characters, ? one) into a regexp.
func Glob(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, c := range pattern {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func (lb *LB) route(path string) (string, bool) {
	for _, r := range lb.rules {
		for _, re := range r.re {
			if re.MatchString(path) {
				return r.TargetGroup, true
			}
		}
	}
	return "", false
}

func (lb *LB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arn, ok := lb.route(r.URL.Path)
	if !ok {
		w.Header().Set("Content-Type", lb.fallback.ContentType)
		w.WriteHeader(lb.fallback.Status)
		_, _ = io.WriteString(w, lb.fallback.Body)
		return
	}
	lb.mu.Lock()
	fn, isLambda := lb.lambdas[arn]
	g := lb.groups[arn]
	lb.mu.Unlock()
	switch {
	case isLambda:
		lb.serveLambda(w, r, arn, fn)
	case g != nil:
		g.serve(w, r)
	default:
		http.Error(w, "503 Service Temporarily Unavailable (no target group "+arn+")", http.StatusServiceUnavailable)
	}
}

// serveLambda builds the event the ALB sends a Lambda target and writes its answer.
func (lb *LB) serveLambda(w http.ResponseWriter, r *http.Request, arn string, fn lambdaGroup) {
	body, err := io.ReadAll(io.LimitReader(r.Body, LambdaPayloadLimit+1))
	if err != nil {
		http.Error(w, "400 Bad Request", http.StatusBadRequest)
		return
	}
	if len(body) > LambdaPayloadLimit {
		http.Error(w, "413 Request Entity Too Large", http.StatusRequestEntityTooLarge)
		return
	}
	event := buildEvent(r, arn, body, fn.multiValue)
	payload, err := json.Marshal(event)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out, err := fn.fn.Invoke(r.Context(), payload)
	if err != nil {
		lb.log.Warn("lambda target failed", "function", fn.name, "err", err)
		http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
		return
	}
	if len(out) > LambdaPayloadLimit {
		http.Error(w, "502 Bad Gateway (response over 1 MB)", http.StatusBadGateway)
		return
	}
	var a struct {
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(out, &a); err != nil || a.StatusCode == 0 {
		lb.log.Warn("lambda answer is no ALB response", "function", fn.name, "answer", string(out))
		http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
		return
	}
	if fn.multiValue {
		for k, vs := range a.MultiValueHeaders {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
	} else {
		for k, v := range a.Headers {
			w.Header().Set(k, v)
		}
	}
	data := []byte(a.Body)
	if a.IsBase64Encoded {
		if data, err = base64.StdEncoding.DecodeString(a.Body); err != nil {
			http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
			return
		}
	}
	w.WriteHeader(a.StatusCode)
	_, _ = w.Write(data)
}

// buildEvent is the ALB's Lambda event: header names lower-cased, path and query as the
// client encoded them, the body base64-encoded unless it is text; with multi-value
// headers off, the last value of each header and query parameter.
func buildEvent(r *http.Request, arn string, body []byte, multiValue bool) map[string]any {
	headers := map[string][]string{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = vs
	}
	headers["host"] = []string{r.Host}
	client, _, _ := net.SplitHostPort(r.RemoteAddr)
	headers["x-forwarded-for"] = append(headers["x-forwarded-for"], client)
	headers["x-forwarded-proto"] = []string{"http"}
	_, port, _ := net.SplitHostPort(r.Host)
	headers["x-forwarded-port"] = []string{port}
	headers["x-amzn-trace-id"] = []string{fmt.Sprintf("Root=1-%08x-%024x", time.Now().Unix(), time.Now().UnixNano())}
	query := map[string][]string{}
	if r.URL.RawQuery != "" {
		for _, kv := range strings.Split(r.URL.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			query[k] = append(query[k], v)
		}
	}
	event := map[string]any{
		"requestContext":  map[string]any{"elb": map[string]string{"targetGroupArn": arn}},
		"httpMethod":      r.Method,
		"path":            r.URL.EscapedPath(),
		"body":            string(body),
		"isBase64Encoded": false,
	}
	if multiValue {
		event["multiValueHeaders"] = headers
		event["multiValueQueryStringParameters"] = query
	} else {
		single := func(m map[string][]string) map[string]string {
			out := map[string]string{}
			for k, vs := range m {
				out[k] = vs[len(vs)-1]
			}
			return out
		}
		event["headers"] = single(headers)
		event["queryStringParameters"] = single(query)
	}
	if len(body) > 0 && !textBody(r.Header.Get("Content-Type")) {
		event["body"] = base64.StdEncoding.EncodeToString(body)
		event["isBase64Encoded"] = true
	}
	return event
}

func textBody(contentType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	mt = strings.TrimSpace(mt)
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || mt == "application/javascript" || mt == "application/xml"
}
