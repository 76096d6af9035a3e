package tests

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/lambdafn"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/tests/internal/albstand"
	"github.com/heraldrt/herald/tests/internal/cfn"
)

// listenerRule is one ALB rule of the template, resolved.
type listenerRule struct {
	name     string
	priority int
	patterns []string
	target   string // logical id of the target group
}

// listenerRules returns the rules of e's serving listener in priority order.
func listenerRules(t *testing.T, tpl *cfn.Template, e *cfn.Env) []listenerRule {
	t.Helper()
	serving := cfn.Placeholder("HttpListener", "")
	if e.Condition("UseHttps") {
		serving = cfn.Placeholder("HttpsListener", "")
	}
	var rules []listenerRule
	for _, name := range tpl.ResourcesOfType("AWS::ElasticLoadBalancingV2::ListenerRule") {
		if !e.Exists(name) {
			continue
		}
		p := e.Resolve(tpl.Resources[name].Properties).(map[string]any)
		if p["ListenerArn"] != serving {
			t.Errorf("%s is on %v, not the serving listener %s", name, p["ListenerArn"], serving)
		}
		prio, _ := strconv.Atoi(fmt.Sprint(p["Priority"]))
		r := listenerRule{name: name, priority: prio}
		for _, v := range cfn.Lookup(p, "Conditions", 0, "PathPatternConfig", "Values").([]any) {
			r.patterns = append(r.patterns, v.(string))
		}
		if cfn.Lookup(p, "Actions", 0, "Type") != "forward" {
			t.Errorf("%s: action %v, want forward", name, cfn.Lookup(p, "Actions"))
		}
		tg := cfn.Lookup(p, "Actions", 0, "TargetGroupArn").(string)
		for id := range tpl.Resources {
			if cfn.Placeholder(id, "") == tg {
				r.target = id
			}
		}
		rules = append(rules, r)
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].priority < rules[j].priority })
	return rules
}

// route returns the first rule matching path and the pattern that matched.
func route(rules []listenerRule, path string) (listenerRule, string, bool) {
	for _, r := range rules {
		for _, p := range r.patterns {
			if albstand.Glob(p).MatchString(path) {
				return r, p, true
			}
		}
	}
	return listenerRule{}, "", false
}

// targetOf maps a target group to the logical id of the function it invokes, or
// "gateway" for the ECS target group.
func targetOf(t *testing.T, tpl *cfn.Template, e *cfn.Env, tg string) string {
	t.Helper()
	p := e.Resolve(tpl.Resources[tg].Properties).(map[string]any)
	if p["TargetType"] == "ip" {
		return "gateway"
	}
	arn := fmt.Sprint(cfn.Lookup(p, "Targets", 0, "Id"))
	for id := range tpl.Resources {
		if cfn.Placeholder(id, "Arn") == arn {
			if cfn.Lookup(p, "TargetGroupAttributes", 0, "Key") != "lambda.multi_value_headers.enabled" ||
				cfn.Lookup(p, "TargetGroupAttributes", 0, "Value") != "true" {
				t.Errorf("%s: multi-value headers are off; repeated headers and query parameters would be lost", tg)
			}
			return id
		}
	}
	t.Fatalf("%s targets %s, which is no function of the template", tg, arn)
	return ""
}

// routeProbe is a request the deployment must serve.
type routeProbe struct {
	method, path, query string
	want                string // the function's logical id or "gateway"
}

// servedProbes lists a request per route each process serves: every REST route of
// httpapi.Routes, app negotiate, the gateway's client routes and the sample hub.
func servedProbes() []routeProbe {
	fill := strings.NewReplacer("{hub}", "chat", "{user}", "u1", "{group}", "g1", "{connectionId}", "c1", "{id}", "c1")
	probes := []routeProbe{
		{http.MethodPost, httpapi.NegotiatePath, "hub=chat&negotiateVersion=1", "NegotiateFunction"},
		{http.MethodGet, httpapi.NegotiatePath, "hub=chat", "NegotiateFunction"},
		{http.MethodPost, "/client/negotiate", "hub=chat&negotiateVersion=1", "gateway"},
		{http.MethodGet, "/client/", "hub=chat&id=x", "gateway"},
		{http.MethodGet, "/client", "hub=chat&id=x", "gateway"},
		{http.MethodPost, lambdafn.WebhookPath, "", "ChatHubFunction"},
		{http.MethodGet, "/livetrace", "", "gateway"},
		{http.MethodGet, "/livetrace/", "", "gateway"},
		{http.MethodGet, "/livetrace/events", "", "gateway"},
	}
	for _, r := range httpapi.Routes() {
		probes = append(probes, routeProbe{r.Method, fill.Replace(r.Pattern), "api-version=2022-06-01", "ApiFunction"})
	}
	return probes
}

// notRouted reports whether an answer says the handler has no such route (as opposed to
// an answer of the route: 401, 404 for a missing resource, 503, ...).
func notRouted(status int, code string) bool {
	return status == http.StatusMethodNotAllowed || (status == http.StatusNotFound && (code == "" || code == "Error.Request.NotFound"))
}

// The listener rules send every route to the process that serves it, and every rule
// serves something.
func TestTemplateRoutes(t *testing.T) {
	tpl := template(t)
	redisURL, prefix := redistest.Addr(t), redistest.KeyPrefix(t)
	handlers := map[string]http.Handler{}
	deployed := deployedFunctions(t, tpl)
	for fn, name := range deployed {
		f, err := lambdafn.New(name, config.Functions{
			AccessKeys: []string{"k"}, RedisURL: redisURL, RedisPrefix: prefix, PublicURL: "https://signalr.example.com",
			AllowAnonymousNegotiate: true,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		handlers[fn] = f.Handler
	}
	gw := gatewayServer(t)
	serve := func(target string, p routeProbe) (int, string) {
		if target == "gateway" {
			req, err := http.NewRequest(p.method, gw+p.path+"?"+p.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode, resp.Header.Get("x-ms-error-code")
		}
		w := httptest.NewRecorder()
		handlers[target].ServeHTTP(w, httptest.NewRequest(p.method, p.path+"?"+p.query, nil))
		return w.Code, w.Header().Get("x-ms-error-code")
	}

	for scenario, params := range scenarios {
		e := tpl.With(params)
		rules := listenerRules(t, tpl, e)
		used := map[string]bool{}
		for _, p := range servedProbes() {
			if p.want == "ChatHubFunction" && !e.Exists("ChatHubFunction") {
				if r, _, ok := route(rules, p.path); ok {
					t.Errorf("%s: %s goes to %s, but the sample hub is not deployed", scenario, p.path, r.name)
				}
				continue
			}
			r, pattern, ok := route(rules, p.path)
			if !ok {
				t.Errorf("%s: no listener rule for %s %s", scenario, p.method, p.path)
				continue
			}
			used[r.name+" "+pattern] = true
			target := targetOf(t, tpl, e, r.target)
			if target != p.want {
				t.Errorf("%s: %s %s goes to %s (rule %s), want %s", scenario, p.method, p.path, target, r.name, p.want)
				continue
			}
			if status, code := serve(target, p); notRouted(status, code) {
				t.Errorf("%s: %s %s reaches %s, which does not serve it (%d %s)", scenario, p.method, p.path, target, status, code)
			}
		}
		for _, r := range rules {
			for _, pattern := range r.patterns {
				if !used[r.name+" "+pattern] {
					t.Errorf("%s: rule %s pattern %s matches no served route", scenario, r.name, pattern)
				}
			}
		}
		for _, path := range []string{"/", "/favicon.ico", "/apis", "/clientx"} {
			if r, _, ok := route(rules, path); ok {
				t.Errorf("%s: %s goes to %s; want the listener's 404", scenario, path, r.name)
			}
		}
	}
}
