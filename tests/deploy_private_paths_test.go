package tests

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/livetrace"
)

// The gateway serves its metrics on the container port without a token,
// and its admin listener (pprof, the diagnostics switches) may be switched
// on: no listener rule may send these paths to it (or anywhere) from the
// internet. (The live trace is routed: its stream needs a token signed
// with an AccessKey; TestTemplateRoutes and TestTemplateLiveTraceNeedsToken.)
func TestTemplateKeepsInternalPathsPrivate(t *testing.T) {
	tpl := template(t)
	for scenario, params := range scenarios {
		rules := listenerRules(t, tpl, tpl.With(params))
		for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/profile", "/admin/diagnostics"} {
			if r, _, ok := route(rules, path); ok {
				t.Errorf("%s: %s goes to %s; want the listener's 404", scenario, path, r.name)
			}
		}
	}
}

// The listener sends the live trace to the gateway tasks, and what it
// reaches there refuses a stream without a token signed with the
// deployment's AccessKey.
func TestTemplateLiveTraceNeedsToken(t *testing.T) {
	tpl := template(t)
	for scenario, params := range scenarios {
		e := tpl.With(params)
		r, _, ok := route(listenerRules(t, tpl, e), "/livetrace/events")
		if !ok || targetOf(t, tpl, e, r.target) != "gateway" {
			t.Errorf("%s: /livetrace/events is not routed to the gateway tasks (%+v)", scenario, r)
		}
	}
	gw := gatewayServer(t) // AccessKey "k"
	forged, err := livetrace.Token("not-the-key", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	good, err := livetrace.Token("k", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]int{"": http.StatusUnauthorized, "?access_token=" + forged: http.StatusUnauthorized,
		"?access_token=" + good: http.StatusOK} {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, gw+"/livetrace/events"+query, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if resp.StatusCode != want {
			t.Errorf("/livetrace/events%.30s: %d, want %d", query, resp.StatusCode, want)
		}
		cancel()
		_ = resp.Body.Close()
	}
}
