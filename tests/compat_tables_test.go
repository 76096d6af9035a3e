package tests

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

var updateCompat = flag.Bool("update-compat", false, "rewrite the generated tables of docs/compat/clients.md")

// compatDoc is the compatibility page whose tables TestCompatTables keeps in
// step with the client matrix and the REST route table.
const compatDoc = "docs/compat/clients.md"

// compatTable is one generated region of compatDoc, between its markers.
type compatTable struct {
	name     string // marker name: <!-- name:begin ... --> and <!-- name:end -->
	source   string // what it is generated from, for the begin marker
	generate func() string
}

var compatTables = []compatTable{
	{"clients", "jsclient.Lines and acrossGateways", clientsMarkdown},
	{"rest", "httpapi.Routes", restMarkdown},
}

func (c compatTable) markers() (begin, end string) {
	return fmt.Sprintf("<!-- %s:begin (generated from %s: go test ./tests -run TestCompatTables -update-compat) -->\n", c.name, c.source),
		fmt.Sprintf("<!-- %s:end -->", c.name)
}

// TestCompatTables keeps the tables of docs/compat/clients.md generated:
// the client rows from the matrix definition (jsclient.Lines, the
// combinations TestClientMatrix and TestMultiNodeClientMatrix run), the REST
// rows from httpapi.Routes. A line added to the matrix, or a route to the
// table, without regenerating the page fails here; -update-compat rewrites
// the regions.
func TestCompatTables(t *testing.T) {
	root, err := jsclient.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, filepath.FromSlash(compatDoc))
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	stale := false
	for _, c := range compatTables {
		begin, end := c.markers()
		i, j := strings.Index(doc, begin), strings.Index(doc, end)
		if i < 0 || j < i {
			t.Fatalf("%s has no %s table between %q and %q", compatDoc, c.name, begin, end)
		}
		want := c.generate()
		if doc[i+len(begin):j] == want {
			continue
		}
		doc = doc[:i+len(begin)] + want + doc[j:]
		if !*updateCompat {
			stale = true
			t.Errorf("the %s table of %s is out of date; want:\n%s", c.name, compatDoc, want)
		}
	}
	if stale {
		t.Errorf("run go test ./tests -run TestCompatTables -update-compat")
		return
	}
	if *updateCompat && doc != string(raw) {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The generators must follow what they describe: a new line, combination
// or route changes their output.
func TestCompatTablesFollowTheirSources(t *testing.T) {
	clients := clientsMarkdown()
	for _, l := range jsclient.Lines {
		row := fmt.Sprintf("| %s | `%s` %s | `%s` %s |", l.Name, l.Package, l.Version, l.MsgpackPackage, l.MsgpackVersion)
		if !strings.Contains(clients, row) {
			t.Errorf("clients table has no row starting %q:\n%s", row, clients)
		}
	}
	if got, want := strings.Count(clients, "\n"), len(jsclient.Lines)+2; got != want {
		t.Errorf("clients table has %d lines, want %d (header, rule, one per line)", got, want)
	}
	rest := restMarkdown()
	for _, r := range httpapi.Routes() {
		p, ok := strings.CutPrefix(r.Pattern, "/api")
		p = strings.TrimPrefix(p, "/v1")
		if !ok || !strings.Contains(rest, "`"+p+"`") || !strings.Contains(rest, "| "+r.Name+" ") {
			t.Errorf("REST table lacks route %s %s (%s):\n%s", r.Method, r.Pattern, r.Name, rest)
		}
	}
}

// Display names of transports and protocols.
var (
	transportNames = map[jsclient.Transport]string{
		jsclient.WebSockets:       "WebSockets",
		jsclient.ServerSentEvents: "Server-Sent Events",
		jsclient.LongPolling:      "Long Polling",
	}
	protocolNames = map[jsclient.Protocol]string{
		jsclient.JSON:        "JSON",
		jsclient.MessagePack: "MessagePack",
	}
)

// clientsMarkdown is the client table: one row per line of the matrix,
// which protocols it runs over each transport on one node, and the
// combination it runs across two gateways.
func clientsMarkdown() string {
	transports := []jsclient.Transport{jsclient.WebSockets, jsclient.ServerSentEvents, jsclient.LongPolling}
	var b strings.Builder
	b.WriteString("| Line | Client | MessagePack protocol | Negotiate version |")
	for _, tr := range transports {
		b.WriteString(" " + transportNames[tr] + " |")
	}
	b.WriteString(" Across two gateways |\n|---|---|---|---|")
	b.WriteString(strings.Repeat("---|", len(transports)+1) + "\n")
	for i, l := range jsclient.Lines {
		fmt.Fprintf(&b, "| %s | `%s` %s | `%s` %s | %d |", l.Name, l.Package, l.Version, l.MsgpackPackage, l.MsgpackVersion, l.NegotiateVersion)
		for _, tr := range transports {
			var protocols []string
			for _, k := range l.Combos() {
				if k.Transport == tr {
					protocols = append(protocols, protocolNames[k.Protocol])
				}
			}
			cell := strings.Join(protocols, ", ")
			if cell == "" {
				cell = "-"
			}
			b.WriteString(" " + cell + " |")
		}
		k, gw := acrossGateways(i, l)
		fmt.Fprintf(&b, " %s %s, gateway %d |\n", transportNames[k.Transport], protocolNames[k.Protocol], gw+1)
	}
	return b.String()
}

// restOperation is one row of the REST table: an operation of the route
// table with every method and path that serve it.
type restOperation struct {
	name             string
	methods          []string
	paths            []string
	api, api2020, v1 []string // success statuses under /api (later versions, 2020-10-01) and /api/v1 ("-": not served)
	public           bool
}

// restMarkdown is the REST table: one row per operation of
// httpapi.Routes, in table order, with its methods, paths and success
// status under /api and under /api/v1.
func restMarkdown() string {
	routes := httpapi.Routes()
	v1 := map[string]string{}
	for _, r := range routes {
		if p, ok := strings.CutPrefix(r.Pattern, "/api/v1"); ok {
			v1[r.Method+" "+p] = fmt.Sprint(r.Status)
		}
	}
	var ops []*restOperation
	byName := map[string]*restOperation{}
	for _, r := range routes {
		p, ok := strings.CutPrefix(r.Pattern, "/api")
		if !ok || strings.HasPrefix(p, "/v1/") {
			continue
		}
		op := byName[r.Name]
		if op == nil {
			op = &restOperation{name: r.Name, public: !r.Auth}
			byName[r.Name] = op
			ops = append(ops, op)
		}
		op.methods = appendNew(op.methods, r.Method)
		op.paths = appendNew(op.paths, p)
		op.api = appendNew(op.api, fmt.Sprint(r.Status))
		op.api2020 = appendNew(op.api2020, fmt.Sprint(r.StatusAt("2020-10-01")))
		s := v1[r.Method+" "+p]
		if s == "" {
			s = "-"
		}
		op.v1 = appendNew(op.v1, s)
	}
	var b strings.Builder
	vs := httpapi.SupportedAPIVersions
	fmt.Fprintf(&b, "| Operation | Method | Paths | `/api`, api-version %s to %s or none | `/api`, api-version %s | `/api/v1` |\n|---|---|---|---|---|---|\n", vs[1], vs[len(vs)-1], vs[0])
	for _, op := range ops {
		paths := make([]string, len(op.paths))
		for i, p := range op.paths {
			paths[i] = "`" + p + "`"
		}
		name := op.name
		if op.public {
			name += " (no token)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", name, strings.Join(op.methods, ", "), strings.Join(paths, ", "),
			strings.Join(op.api, " / "), strings.Join(op.api2020, " / "), strings.Join(op.v1, " / "))
	}
	return b.String()
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
