package httpapi_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/token"
)

// A Management-SDK-style broadcast through the REST handler.
func ExampleNewREST() {
	const key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
	b := bus.NewMemory(bus.MemoryConfig{})
	defer b.Close()
	verifier, _ := token.NewVerifier(token.VerifierConfig{Keys: []string{key}})
	issuer, _ := token.NewIssuer(token.IssuerConfig{Key: key})
	h, err := httpapi.NewREST(httpapi.RESTConfig{Bus: b, Verifier: verifier, Issuer: issuer})
	if err != nil {
		panic(err)
	}

	// The SDK's audience drops the port and keeps the api-version.
	tok, _ := issuer.Issue("http://localhost/api/hubs/chat/:send?api-version=2022-06-01", nil, 0)
	req := httptest.NewRequest("POST", "http://localhost:8888/api/hubs/chat/:send?api-version=2022-06-01",
		strings.NewReader(`{"Target":"newMessage","Arguments":["hello"]}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	fmt.Println(w.Code)
	// Output: 202
}

// The route table: every path is served under /api (2022-06-01 success
// codes) and, unless its v1 column shows "-", under /api/v1 (v1 success
// codes).
func ExampleRoutes() {
	v1 := map[string]string{}
	for _, r := range httpapi.Routes() {
		if p, ok := strings.CutPrefix(r.Pattern, "/api/v1"); ok {
			v1[r.Method+" "+p] = fmt.Sprint(r.Status)
		}
	}
	fmt.Printf("%-6s %-54s %s %s\n", "METHOD", "PATH (under /api and /api/v1)", "api", "v1")
	for _, r := range httpapi.Routes() {
		p, ok := strings.CutPrefix(r.Pattern, "/api")
		if !ok || strings.HasPrefix(p, "/v1/") {
			continue
		}
		note := ""
		if !r.Auth {
			note = " (no token)"
		}
		v := v1[r.Method+" "+p]
		if v == "" {
			v = "-"
		}
		fmt.Printf("%-6s %-54s %d %s%s\n", r.Method, p, r.Status, v, note)
	}
	// Output:
	// METHOD PATH (under /api and /api/v1)                          api v1
	// GET    /health                                                200 200 (no token)
	// HEAD   /health                                                200 200 (no token)
	// POST   /hubs/{hub}                                            202 202
	// POST   /hubs/{hub}/:send                                      202 202
	// POST   /hubs/{hub}/users/{user}                               202 202
	// POST   /hubs/{hub}/users/{user}/:send                         202 202
	// POST   /hubs/{hub}/groups/{group}                             202 202
	// POST   /hubs/{hub}/groups/{group}/:send                       202 202
	// POST   /hubs/{hub}/connections/{connectionId}                 202 202
	// POST   /hubs/{hub}/connections/{connectionId}/:send           202 202
	// DELETE /hubs/{hub}/connections/{connectionId}                 200 202
	// POST   /hubs/{hub}/:closeConnections                          204 204
	// POST   /hubs/{hub}/groups/{group}/:closeConnections           204 204
	// POST   /hubs/{hub}/users/{user}/:closeConnections             204 204
	// PUT    /hubs/{hub}/groups/{group}/connections/{connectionId}  200 200
	// DELETE /hubs/{hub}/groups/{group}/connections/{connectionId}  200 200
	// PUT    /hubs/{hub}/connections/{connectionId}/groups/{group}  200 200
	// DELETE /hubs/{hub}/connections/{connectionId}/groups/{group}  200 200
	// DELETE /hubs/{hub}/connections/{connectionId}/groups          200 200
	// PUT    /hubs/{hub}/users/{user}/groups/{group}                200 202
	// DELETE /hubs/{hub}/users/{user}/groups/{group}                204 202
	// PUT    /hubs/{hub}/groups/{group}/users/{user}                200 202
	// DELETE /hubs/{hub}/groups/{group}/users/{user}                204 202
	// DELETE /hubs/{hub}/users/{user}/groups                        204 202
	// GET    /hubs/{hub}/connections/{connectionId}                 200 200
	// HEAD   /hubs/{hub}/connections/{connectionId}                 200 200
	// GET    /hubs/{hub}/users/{user}                               200 200
	// HEAD   /hubs/{hub}/users/{user}                               200 200
	// GET    /hubs/{hub}/groups/{group}                             200 200
	// HEAD   /hubs/{hub}/groups/{group}                             200 200
	// GET    /hubs/{hub}/users/{user}/groups/{group}                200 200
	// HEAD   /hubs/{hub}/users/{user}/groups/{group}                200 200
	// GET    /hubs/{hub}/groups/{group}/users/{user}                200 200
	// HEAD   /hubs/{hub}/groups/{group}/users/{user}                200 200
	// POST   /hubs/{hub}/:generateToken                             200 200
	// GET    /hubs/{hub}/groups/{group}/connections                 200 -
	// POST   /hubs/{hub}/connections/{connectionId}/:invoke         200 -
	// POST   /hubs/{hub}/connections/{connectionId}/streams/{streamId}/:send 202 -
	// POST   /hubs/{hub}/connections/{connectionId}/streams/{streamId}/:complete 202 -
}
