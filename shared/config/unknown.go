package config

import (
	"reflect"
	"sort"
	"strings"
)

// families are the options types, for naming the family a variable
// belongs to when another one does not read it.
var families = []Options{&Node{}, &Functions{}}

// unknownVariables returns a warning for each HERALD_* variable of
// environ that opts does not read, naming the closest one it does (and
// the family that reads it, if another does). A mistyped variable is a
// warning rather than an error: deployments set some variables for every
// binary, and one binary's start must not fail on another's.
func unknownVariables(opts Options, fields []field, environ []string) []string {
	known := map[string]bool{}
	var names []string
	for _, f := range fields {
		if f.env != "" {
			known[f.env] = true
			names = append(names, f.env)
		}
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "HERALD_") || known[name] {
			continue
		}
		w := name + " is not a setting of the " + opts.family() + " binaries; ignored"
		if other := familyOf(name); other != "" {
			w += " (it is one of the " + other + ")"
		} else {
			w += " (closest: " + closest(name, names) + ")"
		}
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

func familyOf(env string) string {
	for _, o := range families {
		for _, f := range fieldsOf(reflect.TypeOf(o).Elem()) {
			if f.env == env {
				return o.family()
			}
		}
	}
	return ""
}

// closest returns the name of names nearest to s in edit distance.
func closest(s string, names []string) string {
	best, bestD := "", -1
	for _, n := range names {
		if d := distance(s, n); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
