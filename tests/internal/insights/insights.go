// Package insights evaluates the subset of the CloudWatch Logs Insights
// query language that docs/diagnostics.md uses, over JSON log lines, so
// that tests can run the documented queries against the logs Herald
// writes.
//
// Commands, separated by "|":
//
//	fields a, b, @timestamp
//	filter a = "x" and b like /re/ and c like "sub" and d = 500 and e != "y"
//	stats count(*) as n, count_distinct(a) as m by b, c
//	sort a desc
//	limit 10
//
// Field names are the JSON record's keys; @timestamp is its "time" and
// @message the whole line. Run refuses a query naming a field that no
// record has: a typo in a query's field is a failure, not an empty result.
package insights

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Row is one result row: field name to value.
type Row map[string]any

// Parse reads JSON log lines (one object per line; blank lines skipped).
func Parse(log string) ([]Row, error) {
	var out []Row
	for _, line := range strings.Split(log, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r Row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("insights: log line %q: %w", line, err)
		}
		r["@message"] = line
		if t, ok := r["time"]; ok {
			r["@timestamp"] = t
		}
		out = append(out, r)
	}
	return out, nil
}

// Run evaluates query over records (from Parse) and returns its rows.
func Run(query string, records []Row) ([]Row, error) {
	known := map[string]bool{}
	for _, r := range records {
		for k := range r {
			known[k] = true
		}
	}
	rows := records
	aliases := map[string]bool{}
	field := func(name string) error {
		if !known[name] && !aliases[name] {
			return fmt.Errorf("insights: no record has the field %q", name)
		}
		return nil
	}
	for _, raw := range splitTop(stripComments(query), '|') {
		cmd := strings.TrimSpace(raw)
		if cmd == "" {
			continue
		}
		verb, rest, _ := strings.Cut(cmd, " ")
		rest = strings.TrimSpace(rest)
		var err error
		switch verb {
		case "fields", "display":
			rows, err = project(rows, splitTop(rest, ','), field)
		case "filter":
			rows, err = filter(rows, rest, field)
		case "stats":
			rows, err = stats(rows, rest, field, aliases)
		case "sort":
			rows, err = sortRows(rows, rest, field)
		case "limit":
			var n int
			if n, err = strconv.Atoi(rest); err == nil && n < len(rows) {
				rows = rows[:n]
			}
		default:
			err = fmt.Errorf("insights: unsupported command %q", verb)
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		shown := Row{}
		for k, v := range r {
			if !strings.HasPrefix(k, "\x00") {
				shown[k] = v
			}
		}
		out = append(out, shown)
	}
	return out, nil
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "#"); i >= 0 && !inQuotes(line[:i]) {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte(' ')
	}
	return b.String()
}

func inQuotes(s string) bool { return strings.Count(s, `"`)%2 == 1 }

// splitTop splits s at sep outside quotes, regexes and parentheses.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '/' || c == '\'':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func project(rows []Row, names []string, field func(string) error) ([]Row, error) {
	out := make([]Row, 0, len(rows))
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
		if err := field(names[i]); err != nil {
			return nil, err
		}
	}
	for _, r := range rows {
		p := Row{}
		for _, n := range names {
			if v, ok := r[n]; ok {
				p[n] = v
			}
		}
		// Later commands may still filter on any field, as Logs
		// Insights allows: keep the record behind the projection.
		for k, v := range r {
			if _, ok := p[k]; !ok {
				p["\x00"+k] = v
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// get reads a field, looking behind a projection.
func get(r Row, name string) (any, bool) {
	if v, ok := r[name]; ok {
		return v, true
	}
	v, ok := r["\x00"+name]
	return v, ok
}

var condRE = regexp.MustCompile(`^\s*([@\w.]+)\s*(=|!=|like)\s*(".*"|/.*/|-?[0-9.]+)\s*$`)

func filter(rows []Row, expr string, field func(string) error) ([]Row, error) {
	type cond struct {
		name, op string
		str      string
		num      *float64
		re       *regexp.Regexp
	}
	var conds []cond
	for _, part := range regexp.MustCompile(`\s+and\s+`).Split(expr, -1) {
		m := condRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("insights: unsupported filter %q", part)
		}
		if err := field(m[1]); err != nil {
			return nil, err
		}
		c := cond{name: m[1], op: m[2]}
		switch v := m[3]; {
		case strings.HasPrefix(v, `"`):
			c.str = v[1 : len(v)-1]
		case strings.HasPrefix(v, "/"):
			re, err := regexp.Compile(v[1 : len(v)-1])
			if err != nil {
				return nil, fmt.Errorf("insights: %w", err)
			}
			c.re = re
		default:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("insights: %w", err)
			}
			c.num = &f
		}
		if c.op == "like" && c.num != nil {
			return nil, errors.New("insights: like takes a string or a regex")
		}
		conds = append(conds, c)
	}
	var out []Row
next:
	for _, r := range rows {
		for _, c := range conds {
			v, ok := get(r, c.name)
			s := fmt.Sprint(v)
			var match bool
			switch {
			case !ok:
				match = false
			case c.op == "like" && c.re != nil:
				match = c.re.MatchString(s)
			case c.op == "like":
				match = strings.Contains(s, c.str)
			case c.num != nil:
				f, isNum := v.(float64)
				match = isNum && f == *c.num
			default:
				match = s == c.str
			}
			if c.op == "!=" {
				match = ok && !match
			}
			if !match {
				continue next
			}
		}
		out = append(out, r)
	}
	return out, nil
}

var aggRE = regexp.MustCompile(`^\s*(count|count_distinct)\(\s*([@\w.*]*)\s*\)\s*(?:as\s+(\w+))?\s*$`)

func stats(rows []Row, expr string, field func(string) error, aliases map[string]bool) ([]Row, error) {
	aggPart, byPart, _ := strings.Cut(expr, " by ")
	type agg struct{ fn, arg, name string }
	var aggs []agg
	for _, a := range splitTop(aggPart, ',') {
		m := aggRE.FindStringSubmatch(a)
		if m == nil {
			return nil, fmt.Errorf("insights: unsupported aggregation %q", a)
		}
		if m[2] != "*" && m[2] != "" {
			if err := field(m[2]); err != nil {
				return nil, err
			}
		}
		name := m[3]
		if name == "" {
			name = m[1] + "(" + m[2] + ")"
		}
		aliases[name] = true
		aggs = append(aggs, agg{m[1], m[2], name})
	}
	var keys []string
	if strings.TrimSpace(byPart) != "" {
		for _, k := range splitTop(byPart, ',') {
			k = strings.TrimSpace(k)
			if err := field(k); err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
	}
	type group struct {
		row      Row
		count    int
		distinct map[string]map[string]bool
	}
	groups := map[string]*group{}
	var order []string
	for _, r := range rows {
		row := Row{}
		var id strings.Builder
		for _, k := range keys {
			v, _ := get(r, k)
			row[k] = v
			fmt.Fprintf(&id, "%v\x00", v)
		}
		g, ok := groups[id.String()]
		if !ok {
			g = &group{row: row, distinct: map[string]map[string]bool{}}
			groups[id.String()] = g
			order = append(order, id.String())
		}
		g.count++
		for _, a := range aggs {
			if a.fn == "count_distinct" {
				if g.distinct[a.name] == nil {
					g.distinct[a.name] = map[string]bool{}
				}
				if v, ok := get(r, a.arg); ok {
					g.distinct[a.name][fmt.Sprint(v)] = true
				}
			}
		}
	}
	out := make([]Row, 0, len(order))
	for _, id := range order {
		g := groups[id]
		for _, a := range aggs {
			if a.fn == "count" {
				g.row[a.name] = float64(g.count)
			} else {
				g.row[a.name] = float64(len(g.distinct[a.name]))
			}
		}
		out = append(out, g.row)
	}
	return out, nil
}

func sortRows(rows []Row, expr string, field func(string) error) ([]Row, error) {
	f := strings.Fields(expr)
	if len(f) == 0 || len(f) > 2 {
		return nil, fmt.Errorf("insights: unsupported sort %q", expr)
	}
	if err := field(f[0]); err != nil {
		return nil, err
	}
	desc := len(f) == 2 && f[1] == "desc"
	if len(f) == 2 && f[1] != "asc" && f[1] != "desc" {
		return nil, fmt.Errorf("insights: unsupported sort %q", expr)
	}
	out := append([]Row(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := get(out[i], f[0])
		b, _ := get(out[j], f[0])
		less := compare(a, b) < 0
		if desc {
			less = compare(a, b) > 0
		}
		return less
	})
	return out, nil
}

func compare(a, b any) int {
	fa, aNum := a.(float64)
	fb, bNum := b.(float64)
	if aNum && bNum {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}
