package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// API versions (docs/compat/rest-api.md#api-versions). Routes under /api
// take an api-version query parameter; routes under /api/v1 do not, and
// ignore one.

// SupportedAPIVersions lists the api-version values the /api routes accept:
// the published SignalR data-plane versions and the dated versions the
// Azure SDKs and swagger examples send. Another value is answered 400 with
// this list; a missing one is served as 2022-06-01, as before.
var SupportedAPIVersions = []string{"2020-10-01", "2022-06-01", "2022-11-01", "2023-07-01", "2024-01-01", "2024-12-01"}

// apiVersion2020 is the version whose status codes differ from the later
// ones.
const apiVersion2020 = "2020-10-01"

// status2020 holds the success statuses the 2020-10-01 swagger gives where
// they differ from 2022-06-01 and later.
var status2020 = map[string]int{
	"addUser":           http.StatusAccepted, // later: 200
	"removeUser":        http.StatusOK,       // later: 204
	"removeUserFromAll": http.StatusOK,       // later: 204
}

// checkAPIVersion refuses an unknown api-version on an /api route and
// returns the success status of rt for the request's version.
func checkAPIVersion(rt boundRoute, r *http.Request) (int, error) {
	if strings.HasPrefix(rt.Pattern, "/api/v1/") {
		return rt.Status, nil
	}
	vs := r.URL.Query()["api-version"]
	if len(vs) == 0 || vs[0] == "" {
		return rt.Status, nil
	}
	v := vs[0]
	if len(vs) > 1 || !slices.Contains(SupportedAPIVersions, v) {
		return 0, invalid("api-version", "Unsupported api-version '"+clipText(v, 64)+"'. The supported versions are: "+strings.Join(SupportedAPIVersions, ", ")+".")
	}
	return rt.StatusAt(v), nil
}

// StatusAt is the route's success status for a request with api-version
// version (one of SupportedAPIVersions, or "" for none). Routes under
// /api/v1 ignore the version.
func (rt Route) StatusAt(version string) int {
	if s, ok := status2020[rt.Name]; ok && version == apiVersion2020 && !strings.HasPrefix(rt.Pattern, "/api/v1/") {
		return s
	}
	return rt.Status
}

// clipText shortens s to at most n bytes for an error message.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
