package gateway

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the troubleshooting guide's generated part from Troubles")

const (
	troublesDoc   = "../../docs/troubleshooting.md"
	troublesBegin = "<!-- troubles:begin (generated from shared/gateway/reasons.go: go test ./shared/gateway -run TestTroubleshootingDoc -update-docs) -->\n"
	troublesEnd   = "<!-- troubles:end -->"
)

// TestTroubleshootingDoc keeps the generated part of the troubleshooting
// guide equal to Troubles, the table the code answers with.
func TestTroubleshootingDoc(t *testing.T) {
	raw, err := os.ReadFile(troublesDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, troublesBegin), strings.Index(doc, troublesEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated part between %q and %q", troublesDoc, troublesBegin, troublesEnd)
	}
	want := TroubleshootingMarkdown()
	got := doc[i+len(troublesBegin) : j]
	if got == want {
		return
	}
	if *updateDocs {
		if err := os.WriteFile(troublesDoc, []byte(doc[:i+len(troublesBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date; run go test ./shared/gateway -run TestTroubleshootingDoc -update-docs\nwant:\n%s", troublesDoc, want)
}

// TestTroubleshootingMarkdownShort checks that the generated guide keeps
// every answer readable: a heading per answer and no line of a bullet
// longer than a few sentences.
func TestTroubleshootingMarkdownShort(t *testing.T) {
	md := TroubleshootingMarkdown()
	if n := strings.Count(md, "\n### "); n+1 != len(Troubles) || !strings.HasPrefix(md, "### ") {
		t.Errorf("%d headings for %d Troubles", n+1, len(Troubles))
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "|") {
			t.Errorf("table row in the guide: %q", line)
		}
		if len([]rune(line)) > 400 {
			t.Errorf("line of %d characters: %q", len([]rune(line)), line)
		}
	}
}

// TestTroublesComplete checks that every Close reason and client HTTP
// answer the code uses has a row.
func TestTroublesComplete(t *testing.T) {
	texts := map[string]bool{}
	for _, tr := range Troubles {
		texts[tr.Text] = true
		if tr.Why == "" || tr.Fix == "" || tr.Step == "" || tr.Diagnose == "" {
			t.Errorf("row %q lacks Step, Why, Fix or Diagnose", tr.Text)
		}
	}
	for _, r := range []string{ReasonServiceReloading, ReasonAppClosed, ReasonPingTimeout, ReasonSlowClient,
		ReasonProtocolError, ReasonMessageTooLarge, ReasonInternal, ReasonDuplicate, ReasonConnectionLimit,
		ReasonNegotiateLimit, ReasonTokenExpired, TextIDInUse, TextIDRequired, TextTransportNotAllowed,
		ErrTextTooManyDiagnostic, ReasonReconnectBufferFull, ReasonSequenceAhead, ReasonReconnectFailed} {
		if !texts[r] {
			t.Errorf("no Troubles row for %q", r)
		}
	}
}

// TestCloseReasonsHaveLabels checks that every Close message but the
// application's own has a metric label of its own, so a dashboard tells
// them apart from REST closes.
func TestCloseReasonsHaveLabels(t *testing.T) {
	seen := map[string]string{}
	for _, tr := range Troubles {
		if tr.Status != 0 || tr.Text == ReasonAppClosed {
			continue
		}
		label := CloseLabel(tr.Text, nil)
		if label == CloseAppClosed || label == CloseClientClosed {
			t.Errorf("Close %q is counted as %q", tr.Text, label)
		}
		if prev, dup := seen[label]; dup && prev != tr.Text {
			t.Errorf("Close %q and %q share the label %q", prev, tr.Text, label)
		}
		seen[label] = tr.Text
	}
}
