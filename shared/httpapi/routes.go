package httpapi

import "strings"

// The REST route table. Each path is served under /api (2022-06-01) and
// under /api/v1 (v1), as the Azure emulator does; methods separated by
// spaces share a row. The "api" code is the 2022-06-01 swagger's (for the
// emulator-only path orders, that of the equivalent 2022-06-01 route); the
// "v1" code, when not 0, replaces it under /api/v1 as the v1 table of the
// spec says, and apiOnly keeps a newer route (no v1 form) off /api/v1.
// README.md lists the choices made where sources disagree.
var routeTable = []route{
	// methods, path, success under /api, under /api/v1, auth, name, handler
	{"GET HEAD", "/health", 200, 0, public, "health", (*rest).health},

	// Messages.
	{"POST", "/hubs/{hub}", 202, 0, bearer, "sendAll", (*rest).sendAll},
	{"POST", "/hubs/{hub}/:send", 202, 0, bearer, "sendAll", (*rest).sendAll},
	{"POST", "/hubs/{hub}/users/{user}", 202, 0, bearer, "sendUser", (*rest).sendUser},
	{"POST", "/hubs/{hub}/users/{user}/:send", 202, 0, bearer, "sendUser", (*rest).sendUser},
	{"POST", "/hubs/{hub}/groups/{group}", 202, 0, bearer, "sendGroup", (*rest).sendGroup},
	{"POST", "/hubs/{hub}/groups/{group}/:send", 202, 0, bearer, "sendGroup", (*rest).sendGroup},
	{"POST", "/hubs/{hub}/connections/{connectionId}", 202, 0, bearer, "sendConnection", (*rest).sendConnection},
	{"POST", "/hubs/{hub}/connections/{connectionId}/:send", 202, 0, bearer, "sendConnection", (*rest).sendConnection},

	// Closing connections.
	{"DELETE", "/hubs/{hub}/connections/{connectionId}", 200, 202, bearer, "closeConnection", (*rest).closeConnection},
	{"POST", "/hubs/{hub}/:closeConnections", 204, 0, bearer, "closeAll", (*rest).closeAll},
	{"POST", "/hubs/{hub}/groups/{group}/:closeConnections", 204, 0, bearer, "closeGroup", (*rest).closeGroup},
	{"POST", "/hubs/{hub}/users/{user}/:closeConnections", 204, 0, bearer, "closeUser", (*rest).closeUser},

	// Connection-level group membership.
	{"PUT", "/hubs/{hub}/groups/{group}/connections/{connectionId}", 200, 0, bearer, "addConnection", (*rest).addConnection},
	{"DELETE", "/hubs/{hub}/groups/{group}/connections/{connectionId}", 200, 0, bearer, "removeConnection", (*rest).removeConnection},
	{"PUT", "/hubs/{hub}/connections/{connectionId}/groups/{group}", 200, 0, bearer, "addConnection", (*rest).addConnection},
	{"DELETE", "/hubs/{hub}/connections/{connectionId}/groups/{group}", 200, 0, bearer, "removeConnection", (*rest).removeConnection},
	{"DELETE", "/hubs/{hub}/connections/{connectionId}/groups", 200, 0, bearer, "removeConnectionFromAll", (*rest).removeConnectionFromAll},

	// User-level group membership.
	{"PUT", "/hubs/{hub}/users/{user}/groups/{group}", 200, 202, bearer, "addUser", (*rest).addUser},
	{"DELETE", "/hubs/{hub}/users/{user}/groups/{group}", 204, 202, bearer, "removeUser", (*rest).removeUser},
	{"PUT", "/hubs/{hub}/groups/{group}/users/{user}", 200, 202, bearer, "addUser", (*rest).addUser},
	{"DELETE", "/hubs/{hub}/groups/{group}/users/{user}", 204, 202, bearer, "removeUser", (*rest).removeUser},
	{"DELETE", "/hubs/{hub}/users/{user}/groups", 204, 202, bearer, "removeUserFromAll", (*rest).removeUserFromAll},

	// Existence checks (200, or 404 with the code the Management SDK expects).
	{"GET HEAD", "/hubs/{hub}/connections/{connectionId}", 200, 0, bearer, "connectionExists", (*rest).connectionExists},
	{"GET HEAD", "/hubs/{hub}/users/{user}", 200, 0, bearer, "userExists", (*rest).userExists},
	{"GET HEAD", "/hubs/{hub}/groups/{group}", 200, 0, bearer, "groupExists", (*rest).groupExists},
	{"GET HEAD", "/hubs/{hub}/users/{user}/groups/{group}", 200, 0, bearer, "userInGroup", (*rest).userInGroup},
	{"GET HEAD", "/hubs/{hub}/groups/{group}/users/{user}", 200, 0, bearer, "userInGroup", (*rest).userInGroup},

	// Client tokens (2022-11-01 and later).
	{"POST", "/hubs/{hub}/:generateToken", 200, 0, bearer, "generateToken", (*rest).generateToken},

	// Presence (2024-12-01): needs a bus implementing bus.GroupLister.
	{"GET", "/hubs/{hub}/groups/{group}/connections", 200, apiOnly, bearer, "listGroupConnections", (*rest).listGroupConnections},

	// Client results and server-to-client streams (2024-12-01): they reach
	// the gateway node holding the connection (rest_invoke.go).
	{"POST", "/hubs/{hub}/connections/{connectionId}/:invoke", 200, apiOnly, bearer, "invokeConnection", (*rest).invokeConnection},
	{"POST", "/hubs/{hub}/connections/{connectionId}/streams/{streamId}/:send", 202, apiOnly, bearer, "sendStreamItem", (*rest).sendStreamItem},
	{"POST", "/hubs/{hub}/connections/{connectionId}/streams/{streamId}/:complete", 202, apiOnly, bearer, "completeStream", (*rest).completeStream},
}

// Prefixes every route is registered under.
var routePrefixes = []struct {
	prefix string
	v1     bool
}{{"/api", false}, {"/api/v1", true}}

const (
	public = false
	bearer = true
)

// apiOnly in a row's v1 column: the route is served under /api only.
const apiOnly = -1

// handlerFunc handles a validated call. A non-nil body is written as JSON
// with the route's success status; nil writes the status alone.
type handlerFunc func(s *rest, c *call) (body any, err error)

// route is one row of routeTable.
type route struct {
	methods string
	path    string
	status  int
	v1      int // status under /api/v1; 0: same as status; apiOnly: absent
	auth    bool
	name    string
	handle  handlerFunc
}

// Route describes one REST endpoint: what the README prints and what tests
// iterate over.
type Route struct {
	// Method is the HTTP method.
	Method string
	// Pattern is the path in net/http.ServeMux syntax, e.g.
	// "/api/hubs/{hub}/:send".
	Pattern string
	// Status is the status code of success.
	Status int
	// Auth reports whether the route needs a bearer token.
	Auth bool
	// Name names the operation, e.g. "sendAll".
	Name string
}

// boundRoute is a Route with its handler and precomputed parameters.
type boundRoute struct {
	Route
	handle handlerFunc
	hasHub bool
	params []string // wildcards other than {hub}
}

// Routes returns the REST route table, one entry per method, path prefix
// and path, in table order.
func Routes() []Route {
	bound := expand()
	out := make([]Route, len(bound))
	for i, b := range bound {
		out[i] = b.Route
	}
	return out
}

// expand turns routeTable into one entry per prefix, method and path.
func expand() []boundRoute {
	var out []boundRoute
	for _, p := range routePrefixes {
		for _, rt := range routeTable {
			if p.v1 && rt.v1 == apiOnly {
				continue
			}
			status := rt.status
			if p.v1 && rt.v1 != 0 {
				status = rt.v1
			}
			var params []string
			hasHub := false
			for _, seg := range strings.Split(rt.path, "/") {
				if name, ok := strings.CutPrefix(seg, "{"); ok {
					name = strings.TrimSuffix(name, "}")
					if name == "hub" {
						hasHub = true
					} else {
						params = append(params, name)
					}
				}
			}
			for _, m := range strings.Fields(rt.methods) {
				out = append(out, boundRoute{
					Route: Route{
						Method:  m,
						Pattern: p.prefix + rt.path,
						Status:  status,
						Auth:    rt.auth,
						Name:    rt.name,
					},
					handle: rt.handle,
					hasHub: hasHub,
					params: params,
				})
			}
		}
	}
	return out
}
