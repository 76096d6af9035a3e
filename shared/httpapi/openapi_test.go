package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/httpapi"
)

// openAPIFile is the committed document; HERALD_UPDATE_OPENAPI=1 rewrites it.
const openAPIFile = "../../docs/openapi.json"

// docs/openapi.json is what OpenAPI generates from the route table.
func TestOpenAPIDocumentCommitted(t *testing.T) {
	doc := httpapi.OpenAPI()
	if os.Getenv("HERALD_UPDATE_OPENAPI") == "1" {
		if err := os.WriteFile(openAPIFile, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, doc) {
		t.Fatalf("%s is stale: regenerate it with HERALD_UPDATE_OPENAPI=1 go test ./shared/httpapi -run TestOpenAPIDocumentCommitted", openAPIFile)
	}
}

// openAPIDoc is the part of an OpenAPI document the checks read.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		OperationID string `json:"operationId"`
		Summary     string `json:"summary"`
		Parameters  []struct {
			Name     string `json:"name"`
			In       string `json:"in"`
			Required bool   `json:"required"`
		} `json:"parameters"`
		Security  []map[string][]string      `json:"security"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
}

// Each route is an operation with its success status, its path parameters
// and its security; operation ids are unique.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(httpapi.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	wildcard := regexp.MustCompile(`\{([^}]+)\}`)
	for _, rt := range httpapi.Routes() {
		op, ok := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("no operation for %s %s", rt.Method, rt.Pattern)
			continue
		}
		if _, ok := op.Responses[fmt.Sprint(rt.Status)]; !ok {
			t.Errorf("%s %s: no %d response", rt.Method, rt.Pattern, rt.Status)
		}
		if op.Summary == "" || op.Summary == "Undocumented." {
			t.Errorf("%s %s: undocumented", rt.Method, rt.Pattern)
		}
		if got := len(op.Security) == 1 && op.Security[0]["bearer"] != nil; got != rt.Auth {
			t.Errorf("%s %s: bearer security %v, route auth %v", rt.Method, rt.Pattern, got, rt.Auth)
		}
		declared := map[string]bool{}
		for _, p := range op.Parameters {
			if p.In == "path" {
				declared[p.Name] = p.Required
			}
		}
		for _, m := range wildcard.FindAllStringSubmatch(rt.Pattern, -1) {
			if !declared[m[1]] {
				t.Errorf("%s %s: path parameter %s not declared as required", rt.Method, rt.Pattern, m[1])
			}
			delete(declared, m[1])
		}
		if len(declared) > 0 {
			t.Errorf("%s %s: declares path parameters it does not have: %v", rt.Method, rt.Pattern, declared)
		}
	}
	ids := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %q used by %s and %s %s", op.OperationID, prev, method, path)
			}
			ids[op.OperationID] = method + " " + path
		}
	}
}

// The REST handler serves the document without a token.
func TestOpenAPIServed(t *testing.T) {
	f := newFixture(t)
	w := f.do(http.MethodGet, httpapi.OpenAPIPath, "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %q", httpapi.OpenAPIPath, w.Code, w.Header().Get("Content-Type"))
	}
	if !bytes.Equal(w.Body.Bytes(), httpapi.OpenAPI()) {
		t.Error("served document differs from OpenAPI()")
	}
	if w := f.do(http.MethodHead, httpapi.OpenAPIPath, ""); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD %s: %d, %d body bytes", httpapi.OpenAPIPath, w.Code, w.Body.Len())
	}
	if w := f.do(http.MethodPost, httpapi.OpenAPIPath, "{}"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %d, want 405", httpapi.OpenAPIPath, w.Code)
	}
}
