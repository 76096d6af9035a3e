package gateway

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's troubleshooting table from Troubles")

const (
	readmePath = "../../README.md"
	tableBegin = "<!-- troubles:begin (generated from shared/gateway/reasons.go: go test ./shared/gateway -run TestREADMETroubles -update-readme) -->\n"
	tableEnd   = "<!-- troubles:end -->"
)

// TestREADMETroubles keeps the README's troubleshooting table equal to
// Troubles, the table the code answers with.
func TestREADMETroubles(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i, j := strings.Index(readme, tableBegin), strings.Index(readme, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README has no troubleshooting table between %q and %q", tableBegin, tableEnd)
	}
	want := TroubleshootingMarkdown()
	got := readme[i+len(tableBegin) : j]
	if got == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(readmePath, []byte(readme[:i+len(tableBegin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README troubleshooting table is out of date; run go test ./shared/gateway -run TestREADMETroubles -update-readme\nwant:\n%s", want)
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
		ErrTextTooManyDiagnostic} {
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
