package tests

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/lambdahttp"
)

// front stands in for the Application Load Balancer of template.yaml: it applies the
// template's listener rules in priority order, forwards /client to a gateway process
// (WebSockets included) and turns the other requests into ALB target-group events
// (multi-value headers on, as the template sets) for the Lambda functions, then their
// answers back into HTTP responses. It is written from the ALB's documented behaviour,
// independently of shared/lambdahttp.
type front struct {
	t         *testing.T
	srv       *httptest.Server
	rules     []listenerRule
	targets   map[string]string // target group → function logical id or "gateway"
	functions map[string]*lambdaFunction
	gateway   *httputil.ReverseProxy
}

func newFront(t *testing.T, rules []listenerRule, targets map[string]string) *front {
	f := &front{t: t, rules: rules, targets: targets, functions: map[string]*lambdaFunction{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// url is the public endpoint, e.g. http://127.0.0.1:PORT.
func (f *front) url() string { return f.srv.URL }

// setGateway sends /client to the gateway at base.
func (f *front) setGateway(base string) {
	u, err := url.Parse(base)
	if err != nil {
		f.t.Fatal(err)
	}
	f.gateway = httputil.NewSingleHostReverseProxy(u)
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	rule, _, ok := route(f.rules, path)
	if !ok {
		http.Error(w, `{"code":"Error.Request.NotFound"}`, http.StatusNotFound) // the listener's default
		return
	}
	target := f.targets[rule.target]
	if target == "gateway" {
		r.Header.Set("X-Forwarded-Proto", "http")
		f.gateway.ServeHTTP(w, r)
		return
	}
	fn := f.functions[target]
	if fn == nil {
		http.Error(w, "502 Bad Gateway: no function "+target, http.StatusBadGateway)
		return
	}
	event, err := albEvent(r, rule.target)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res, _, err := fn.invokeRaw(event)
	if err != nil || res.isErr {
		http.Error(w, fmt.Sprintf("502 Bad Gateway: %v %s", err, res.body), http.StatusBadGateway)
		return
	}
	var a lambdahttp.ALBResponse
	if err := json.Unmarshal(res.body, &a); err != nil {
		http.Error(w, "502 Bad Gateway: "+err.Error(), http.StatusBadGateway)
		return
	}
	for k, vs := range a.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := []byte(a.Body)
	if a.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(a.Body); err != nil {
			http.Error(w, "502 Bad Gateway: "+err.Error(), http.StatusBadGateway)
			return
		}
	}
	w.WriteHeader(a.StatusCode)
	_, _ = w.Write(body)
}

// albEvent builds the event an ALB sends a Lambda target with multi-value headers on:
// header names lower-cased, the path and the query parameters as the client encoded them
// (the ALB does not decode them), the body base64-encoded unless it is text.
func albEvent(r *http.Request, targetGroup string) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	headers := map[string][]string{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = vs
	}
	headers["host"] = []string{r.Host}
	client, _, _ := net.SplitHostPort(r.RemoteAddr)
	headers["x-forwarded-for"] = append(headers["x-forwarded-for"], client)
	headers["x-forwarded-proto"] = []string{"http"}
	headers["x-forwarded-port"] = []string{"80"}
	headers["x-amzn-trace-id"] = []string{"Root=1-67890abc-0123456789abcdef01234567"}
	query := map[string][]string{}
	if r.URL.RawQuery != "" {
		for _, kv := range strings.Split(r.URL.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			query[k] = append(query[k], v)
		}
	}
	event := map[string]any{
		"requestContext": map[string]any{"elb": map[string]string{
			"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/" + strings.ToLower(targetGroup) + "/6d0ecf831eec9f09",
		}},
		"httpMethod":                      r.Method,
		"path":                            r.URL.EscapedPath(),
		"multiValueQueryStringParameters": query,
		"multiValueHeaders":               headers,
		"body":                            string(body),
		"isBase64Encoded":                 false,
	}
	if len(body) > 0 && !textBody(r.Header.Get("Content-Type")) {
		event["body"] = base64.StdEncoding.EncodeToString(body)
		event["isBase64Encoded"] = true
	}
	var b bytes.Buffer
	err = json.NewEncoder(&b).Encode(event)
	return b.Bytes(), err
}

// textBody reports whether the ALB passes a body of this type as text.
func textBody(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || mt == "application/javascript" || mt == "application/xml"
}
