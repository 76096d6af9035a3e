package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/httpapi"
)

// ErrInvalid wraps every configuration error.
var ErrInvalid = errors.New("config: invalid")

// Getenv looks a variable up; os.Getenv in mains, a map in tests.
type Getenv func(string) string

// reader collects the first error while reading typed variables.
type reader struct {
	get Getenv
	err error
}

func (r *reader) fail(name string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: %w", ErrInvalid, name, err)
	}
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.get(name)); v != "" {
		return v
	}
	return def
}

// secretURL reads a URL that may carry a password (REDIS_URL): one that
// does not parse is an error that does not quote it, as url.Parse's own
// error would.
func (r *reader) secretURL(name, def string) string {
	v := r.str(name, def)
	if _, err := url.Parse(v); err != nil {
		r.fail(name, errors.New("not a valid URL (the value is not shown: it may hold a password)"))
	}
	return v
}

func (r *reader) list(name string) []string { return SplitList(r.get(name)) }

// corsOrigins reads a CORS allow-list (httpapi.NewCORSPolicy checks it).
func (r *reader) corsOrigins(name string) []string {
	l := r.list(name)
	if _, err := httpapi.NewCORSPolicy(l); err != nil {
		r.fail(name, err)
	}
	return l
}

// SplitList splits a comma-separated list, trimming items and dropping
// empty ones (flags and variables such as HERALD_ACCESS_KEYS).
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.get(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, fmt.Errorf("%q is not a positive duration such as 15s", v))
		return def
	}
	return d
}

// count reads a non-negative integer; 0 switches a limit off.
func (r *reader) count(name string) int {
	v := strings.TrimSpace(r.get(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.fail(name, fmt.Errorf("%q is not a non-negative integer (0: no limit)", v))
		return 0
	}
	return n
}

func (r *reader) integer(name string, def int) int {
	v := strings.TrimSpace(r.get(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		r.fail(name, fmt.Errorf("%q is not a positive integer", v))
		return def
	}
	return n
}
