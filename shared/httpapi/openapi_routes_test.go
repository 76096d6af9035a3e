package httpapi

import (
	"slices"
	"testing"
)

// Every route of the table has its OpenAPI entry, and every entry belongs
// to a route: adding a route (or renaming one) without documenting it
// fails here.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	names := map[string]bool{}
	for _, rt := range Routes() {
		names[rt.Name] = true
		if _, ok := opDocs[rt.Name]; !ok {
			t.Errorf("route %s %s (%s) has no OpenAPI entry: add it to opDocs in openapi.go and regenerate docs/openapi.json", rt.Method, rt.Pattern, rt.Name)
		}
	}
	for name, d := range opDocs {
		if !names[name] {
			t.Errorf("opDocs[%q] documents no route", name)
		}
		if d.summary == "" {
			t.Errorf("opDocs[%q] has no summary", name)
		}
		for _, q := range d.query {
			if _, ok := openAPIQuery[q]; !ok {
				t.Errorf("opDocs[%q]: query parameter %q is not in openAPIQuery", name, q)
			}
		}
		for _, s := range []string{d.body, d.result} {
			if _, ok := openAPISchemas[s]; s != "" && !ok {
				t.Errorf("opDocs[%q]: schema %q is not in openAPISchemas", name, s)
			}
		}
	}
	if !slices.ContainsFunc(Routes(), func(r Route) bool { return r.Pattern == OpenAPIPath }) {
		return // the document's own path is not an Azure route, as it must be
	}
	t.Errorf("%s collides with a REST route", OpenAPIPath)
}
