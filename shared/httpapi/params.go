package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldrt/herald/shared/conninfo"
)

// Limits on path parameters (Azure swagger: group 1..1024 chars; user ids
// for :closeConnections 1..1024; connection ids at least 1 char).
const (
	maxGroupLen = 1024
	maxUserLen  = 1024
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

// checkParams validates the path wildcards a route declares.
func checkParams(r *http.Request, names []string) error {
	for _, name := range names {
		v := r.PathValue(name)
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
