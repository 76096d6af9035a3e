package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// OpenAPIPath is where the REST handler serves the OpenAPI 3 document of
// the REST API (GET and HEAD, no token). No Azure route lives there.
const OpenAPIPath = "/api/openapi.json"

// opDoc documents the routes of one name in the OpenAPI document. Every
// name of routeTable needs an entry: TestOpenAPICoversEveryRoute fails
// otherwise, so a new route cannot ship undocumented.
type opDoc struct {
	summary string
	query   []string // query parameters, by key of openAPIQuery
	body    string   // request body schema, by key of openAPISchemas; "" none
	result  string   // success body schema; "" none
}

var opDocs = map[string]opDoc{
	"health":                  {summary: "Health of the service and of the bus.", result: "Health"},
	"sendAll":                 {summary: "Broadcast a message to every connection of the hub.", query: []string{"application", "excluded", "ttl"}, body: "PayloadMessage"},
	"sendUser":                {summary: "Send a message to every connection of a user.", query: []string{"application", "ttl"}, body: "PayloadMessage"},
	"sendGroup":               {summary: "Send a message to every connection in a group.", query: []string{"application", "excluded", "ttl"}, body: "PayloadMessage"},
	"sendConnection":          {summary: "Send a message to one connection.", query: []string{"application", "ttl"}, body: "PayloadMessage"},
	"closeConnection":         {summary: "Close a connection.", query: []string{"application", "reason"}},
	"closeAll":                {summary: "Close every connection of the hub.", query: []string{"application", "excluded", "reason"}},
	"closeGroup":              {summary: "Close every connection in a group.", query: []string{"application", "excluded", "reason"}},
	"closeUser":               {summary: "Close every connection of a user.", query: []string{"application", "excluded", "reason"}},
	"addConnection":           {summary: "Add a connection to a group.", query: []string{"application"}},
	"removeConnection":        {summary: "Remove a connection from a group.", query: []string{"application"}},
	"removeConnectionFromAll": {summary: "Remove a connection from every group.", query: []string{"application"}},
	"addUser":                 {summary: "Add a user to a group.", query: []string{"application", "ttl"}},
	"removeUser":              {summary: "Remove a user from a group.", query: []string{"application"}},
	"removeUserFromAll":       {summary: "Remove a user from every group.", query: []string{"application"}},
	"connectionExists":        {summary: "Whether a connection exists (200, or 404).", query: []string{"application"}},
	"userExists":              {summary: "Whether a user has a connection (200, or 404).", query: []string{"application"}},
	"groupExists":             {summary: "Whether a group has a connection (200, or 404).", query: []string{"application"}},
	"userInGroup":             {summary: "Whether a user is in a group (200, or 404).", query: []string{"application"}},
	"generateToken":           {summary: "Issue a client access token for the hub.", query: []string{"application", "userId", "minutesToExpire"}, result: "ClientToken"},
	"listGroupConnections":    {summary: "List the connections in a group, a page at a time.", query: []string{"application", "maxpagesize", "top", "continuationToken"}, result: "GroupMemberPage"},
	"invokeConnection":        {summary: "Invoke a method on one connection and answer with the client's result.", query: []string{"application"}, body: "PayloadMessage", result: "ClientInvocationResult"},
	"sendStreamItem":          {summary: "Send an item of a server-to-client stream the connection opened.", query: []string{"application", "completed"}, body: "StreamItem"},
	"completeStream":          {summary: "End a server-to-client stream, with an error when reason is given.", query: []string{"application", "reason"}},
}

// openAPIQuery describes the query parameters of opDocs.
var openAPIQuery = map[string]struct{ desc, typ string }{
	"application":       {"Application name: scopes the hub as <application>_<hub>.", "string"},
	"excluded":          {"A connection id to leave out; repeatable.", "string"},
	"ttl":               {"Time to live in seconds.", "integer"},
	"reason":            {"Reason given to the closed clients.", "string"},
	"userId":            {"User id of the token.", "string"},
	"minutesToExpire":   {"Lifetime of the token in minutes.", "integer"},
	"api-version":       {"API version (" + strings.Join(SupportedAPIVersions, ", ") + "); 2020-10-01 answers its own status codes, an unknown value 400.", "string"},
	"completed":         {"true when this item is the stream's last.", "boolean"},
	"maxpagesize":       {"Most entries in one page.", "integer"},
	"top":               {"Most entries in all pages.", "integer"},
	"continuationToken": {"Where the next page starts (from nextLink).", "string"},
}

// openAPISchemas are the bodies named by opDocs, and Error.
var openAPISchemas = map[string]any{
	"Error": obj(map[string]any{"code": str(), "message": str(), "target": str()}, "code", "message"),
	"PayloadMessage": obj(map[string]any{
		"target":    str(),
		"arguments": map[string]any{"type": "array", "items": map[string]any{}},
	}, "target"),
	"ClientInvocationResult": obj(map[string]any{"result": map[string]any{}}, "result"),
	"StreamItem":             map[string]any{},
	"ClientToken":            obj(map[string]any{"token": str()}, "token"),
	"GroupMemberPage": obj(map[string]any{
		"value":    map[string]any{"type": "array", "items": obj(map[string]any{"connectionId": str(), "userId": str()}, "connectionId")},
		"nextLink": str(),
	}, "value"),
	"Health":            obj(map[string]any{"status": str(), "checks": map[string]any{"type": "object", "additionalProperties": str()}}, "status"),
	"NegotiateResponse": obj(map[string]any{"url": str(), "accessToken": str()}, "url", "accessToken"),
}

func str() map[string]any { return map[string]any{"type": "string"} }

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func ref(schema string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + schema}
}

// OpenAPI returns the OpenAPI 3.0 document of the REST API, built from the
// route table (Routes) and opDocs, plus negotiate and the document itself.
// docs/openapi.json is this document; a test keeps them equal.
func OpenAPI() []byte {
	paths := map[string]map[string]any{}
	seen := map[string]int{}
	for _, rt := range Routes() {
		d, ok := opDocs[rt.Name]
		if !ok { // TestOpenAPICoversEveryRoute refuses this
			d.summary = "Undocumented."
		}
		seen[rt.Name]++
		op := map[string]any{
			"operationId": fmt.Sprintf("%s_%d", rt.Name, seen[rt.Name]),
			"summary":     d.summary,
			"tags":        []string{tag(rt.Pattern)},
			"responses":   responses(rt.Status, d.result, rt.Auth),
		}
		params := pathParams(rt.Pattern)
		query := d.query
		if strings.HasPrefix(rt.Pattern, "/api/hubs/") {
			query = append(query[:len(query):len(query)], "api-version")
		}
		for _, q := range query {
			p := openAPIQuery[q]
			params = append(params, map[string]any{"name": q, "in": "query", "description": p.desc, "schema": map[string]any{"type": p.typ}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if d.body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(d.body)}}}
		}
		if rt.Auth {
			op["security"] = []map[string][]string{{"bearer": {}}}
		} else {
			op["security"] = []map[string][]string{}
		}
		if paths[rt.Pattern] == nil {
			paths[rt.Pattern] = map[string]any{}
		}
		paths[rt.Pattern][strings.ToLower(rt.Method)] = op
	}
	negotiate := func(method string) map[string]any {
		return map[string]any{
			"operationId": "negotiate_" + method,
			"summary":     "Where a client connects and its access token (Azure Functions binding style).",
			"tags":        []string{"negotiate"},
			"parameters": []map[string]any{
				{"name": "hub", "in": "query", "required": true, "schema": str()},
				{"name": "userId", "in": "query", "schema": str()},
				{"name": "application", "in": "query", "schema": str()},
			},
			"security":  []map[string][]string{},
			"responses": responses(http.StatusOK, "NegotiateResponse", false),
		}
	}
	paths[NegotiatePath] = map[string]any{"get": negotiate("get"), "post": negotiate("post")}
	paths[OpenAPIPath] = map[string]any{"get": map[string]any{
		"operationId": "openapi",
		"summary":     "This document.",
		"tags":        []string{"meta"},
		"security":    []map[string][]string{},
		"responses":   map[string]any{"200": map[string]any{"description": "The OpenAPI document.", "content": map[string]any{"application/json": map[string]any{}}}},
	}}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Herald REST API",
			"version":     "2022-06-01",
			"description": "The data-plane REST API of Azure SignalR Service (Serverless mode) as Herald serves it: each route under /api (2022-06-01) and, unless noted, under /api/v1. Generated from the route table of shared/httpapi.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas":         openAPISchemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("httpapi: OpenAPI document: " + err.Error()) // maps, slices and strings only
	}
	return append(b, '\n')
}

// tag groups a route by its resource.
func tag(pattern string) string {
	switch {
	case strings.HasSuffix(pattern, "/health"):
		return "health"
	case strings.Contains(pattern, "/groups"):
		return "groups"
	case strings.Contains(pattern, "/users/"):
		return "users"
	case strings.Contains(pattern, "/connections/"):
		return "connections"
	}
	return "hubs"
}

// pathParams declares the wildcards of a pattern.
func pathParams(pattern string) []map[string]any {
	var out []map[string]any
	for _, seg := range strings.Split(pattern, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			out = append(out, map[string]any{"name": strings.TrimSuffix(name, "}"), "in": "path", "required": true, "schema": str()})
		}
	}
	return out
}

// responses lists the success response and the error ones.
func responses(status int, result string, auth bool) map[string]any {
	ok := map[string]any{"description": http.StatusText(status)}
	if result != "" {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(result)}}
	}
	errBody := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
	}
	out := map[string]any{
		fmt.Sprint(status): ok,
		"400":              errBody("The request is invalid."),
		"default":          errBody("An error."),
	}
	if auth {
		out["401"] = errBody("The bearer token is missing or invalid.")
	}
	return out
}

// openAPIHandler serves the document, built once.
func openAPIHandler() http.Handler {
	doc := OpenAPI()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(doc)
	})
}
