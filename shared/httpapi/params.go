package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldrt/herald/shared/conninfo"
	"github.com/heraldrt/herald/shared/query"
)

// checkQuery refuses a query string with a pair that is not valid
// percent-encoding or UTF-8 (400 naming the parameter). Once it passed,
// r.URL.Query() holds every pair the caller sent.
func checkQuery(r *http.Request) error {
	var qe *query.Error
	if err := query.Check(r.URL.RawQuery); errors.As(err, &qe) {
		return invalid(qe.Param, qe.Message())
	}
	return nil
}

// Limits on path parameters (Azure swagger: group 1..1024 chars; user ids
// for :closeConnections 1..1024; connection ids at least 1 char).
const (
	maxGroupLen = 1024
	// maxStreamIDLen is the longest stream id (the 2024-12-01 swagger).
	maxStreamIDLen = 100
	maxUserLen     = 1024
)

// hubKey returns the normalized hub key of the request: the lower-cased
// {hub} path value, prefixed by the lower-cased application query value.
func hubKey(r *http.Request) (string, error) {
	hub := r.PathValue("hub")
	if !conninfo.ValidHubName(hub) {
		return "", invalid("hub", "Invalid hub name: it must start with a letter and contain at most 128 letters, digits or _`,.[]")
	}
	app := r.URL.Query().Get("application")
	if app != "" && !conninfo.ValidHubName(app) {
		return "", invalid("application", "Invalid application name: it must start with a letter and contain at most 128 letters, digits or _`,.[]")
	}
	return conninfo.HubKey(app, hub), nil
}

// paramNoun names each path wildcard in error messages.
var paramNoun = map[string]string{"group": "group name", "user": "user id", "connectionId": "connection id", "streamId": "stream id"}

// checkParams validates the path wildcards a route declares.
func checkParams(r *http.Request, names []string) error {
	for _, name := range names {
		v := r.PathValue(name)
		if !utf8.ValidString(v) {
			return invalid(name, "Invalid "+paramNoun[name]+": it is not valid UTF-8.")
		}
		switch name {
		case "group":
			if n := utf8.RuneCountInString(v); n < 1 || n > maxGroupLen || strings.TrimSpace(v) == "" {
				return invalid("group", "Invalid group name: it must have 1 to 1024 characters and not be all whitespace.")
			}
		case "user":
			if n := utf8.RuneCountInString(v); n < 1 || n > maxUserLen {
				return invalid("user", "Invalid user id: it must have 1 to 1024 characters.")
			}
		case "connectionId":
			if v == "" {
				return invalid("connectionId", "Invalid connection id: it must not be empty.")
			}
		case "streamId":
			if n := utf8.RuneCountInString(v); n < 1 || n > maxStreamIDLen || strings.TrimSpace(v) == "" {
				return invalid("streamId", "Invalid stream id: it must have 1 to 100 characters and not be all whitespace.")
			}
		}
	}
	return nil
}

// excluded returns the non-empty values of the repeated excluded query
// parameter.
func excluded(r *http.Request) []string {
	var out []string
	for _, v := range r.URL.Query()["excluded"] {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// ttl parses the ttl query parameter (seconds, an int32 >= 0). Absent means
// no expiry, which the bus spells as a negative duration.
func ttl(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("ttl")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return 0, invalid("ttl", "Invalid ttl: it must be a whole number of seconds, 0 or more.")
	}
	return time.Duration(n) * time.Second, nil
}
