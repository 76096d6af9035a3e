package tests

import "testing"

// The gateway serves its metrics and the live trace on the container port
// without a REST token, and its admin listener (pprof) may be switched on:
// no listener rule may send these paths to it (or anywhere) from the
// internet.
func TestTemplateKeepsInternalPathsPrivate(t *testing.T) {
	tpl := template(t)
	for scenario, params := range scenarios {
		rules := listenerRules(t, tpl, tpl.With(params))
		for _, path := range []string{"/metrics", "/livetrace", "/livetrace/", "/livetrace/events", "/debug/pprof/", "/debug/pprof/profile"} {
			if r, _, ok := route(rules, path); ok {
				t.Errorf("%s: %s goes to %s; want the listener's 404", scenario, path, r.name)
			}
		}
	}
}
