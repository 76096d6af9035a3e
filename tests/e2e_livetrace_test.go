package tests

import (
	"context"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/tests/internal/browser"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// The live trace page in headless Chromium shows the connections and
// messages of official clients as they happen, filters, pauses, searches
// and exports them; a screenshot shows the event rows.
func TestLiveTracePageInChromium(t *testing.T) {
	t.Parallel()
	b := browser.Start(t)
	e := newEnv(t)
	pageURL, err := e.srv.LiveTraceURL(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if d := os.Getenv("LIVETRACE_SHOTS"); d != "" {
		out = d // keep the screenshots and exports for a look
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string, v any) {
		t.Helper()
		must(expr, b.Eval(expr, v))
	}
	rowCount := func() int {
		t.Helper()
		var n int
		eval(`document.querySelectorAll("#rows tr").length`, &n)
		return n
	}
	connected := `document.getElementById("status").textContent === "connected"`

	if _, err := b.Open(pageURL); err != nil {
		t.Fatal(err)
	}
	must("page connects", b.WaitFor(connected, browserWait))
	var hash string
	if eval("location.hash", &hash); hash != "" {
		t.Error("the page kept the token in its URL")
	}

	ctx := context.Background()
	id := e.connect(t, "c1", "alice")
	e.connectWith(t, jsclient.MessagePack, "c2", "bob")
	text := e.payload("live")
	resp := status(t, "send to all", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, []any{text}))
	e.expectRecv(t, "c1", text)
	trace := resp.Header.Get(httpapi.TraceHeader)
	must("the trace id shows", b.WaitFor(`document.getElementById("rows").innerText.includes(`+jsString(trace)+`)`, browserWait))
	toAlice := e.payload("to-alice")
	userResp := status(t, "send to user", http.StatusAccepted)(e.rest.SendToUser(ctx, hub, "alice", recv, []any{toAlice}))
	e.expectRecv(t, "c1", toAlice)
	userTrace := userResp.Header.Get(httpapi.TraceHeader)
	must("the user's trace id shows", b.WaitFor(`document.getElementById("rows").innerText.includes(`+jsString(userTrace)+`)`, browserWait))
	must("the connection shows", b.WaitFor(`[...document.querySelectorAll("#rows tr.ConnectionStarted")].some((r) => r.innerText.includes(`+jsString(id)+`))`, browserWait))
	total := rowCount()
	if total < 5 { // 2 starts, 1 receipt, 2 deliveries, HTTP requests
		t.Errorf("rows: %d", total)
	}
	must("screenshot", b.Screenshot("", filepath.Join(out, "livetrace.png")))
	must("screenshot of the rows", b.Screenshot("#rows", filepath.Join(out, "rows.png")))

	// Filters: connection id, then event kinds, then search.
	var texts []string
	allContain := func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(x, s) {
				return false
			}
		}
		return true
	}
	must("filter by connection", b.Fill("#f-conn", id))
	eval(`[...document.querySelectorAll("#rows td.conn")].map((e) => e.innerText)`, &texts)
	if len(texts) == 0 || !allContain(id) {
		t.Errorf("connection filter: %q", texts)
	}
	must("clear the connection filter", b.Fill("#f-conn", ""))
	must("hide messages", b.SetChecked("#k-msg", false))
	must("hide HTTP", b.SetChecked("#k-http", false))
	var classes []string
	eval(`[...document.querySelectorAll("#rows tr")].map((r) => r.className)`, &classes)
	connectivity := true
	for _, c := range classes {
		connectivity = connectivity && strings.HasPrefix(c, "ConnectivityLogs")
	}
	if len(classes) < 2 || !connectivity {
		t.Errorf("kind filter: %q", classes)
	}
	must("show messages", b.SetChecked("#k-msg", true))
	must("show HTTP", b.SetChecked("#k-http", true))
	must("search", b.Fill("#search", trace))
	eval(`[...document.querySelectorAll("#rows tr")].map((r) => r.innerText)`, &texts)
	if len(texts) < 3 || !allContain(trace) { // receipt and two deliveries
		t.Errorf("search: %q", texts)
	}
	must("clear the search", b.Fill("#search", ""))

	// Hub and user filters keep the REST rows about that hub or user.
	cellsOf := func(col string) []string {
		t.Helper()
		var v []string
		eval(`[...document.querySelectorAll("#rows td.`+col+`")].map((e) => e.innerText)`, &v)
		return v
	}
	restRow := func(path string) bool {
		t.Helper()
		var ok bool
		eval(`[...document.querySelectorAll("#rows tr.HttpRequestLogs")].some((r) => r.innerText.includes(`+jsString(path)+`))`, &ok)
		return ok
	}
	must("filter by hub", b.Fill("#f-hub", hub))
	if texts = cellsOf("hub"); len(texts) < 5 || !allContain(hub) || !restRow("/hubs/"+hub+"/") {
		t.Errorf("hub filter: hubs %q, REST row %v", texts, restRow("/hubs/"+hub+"/"))
	}
	must("filter by another hub", b.Fill("#f-hub", "no-such-hub"))
	if n := rowCount(); n != 0 {
		t.Errorf("filter by another hub: %d rows", n)
	}
	must("clear the hub filter", b.Fill("#f-hub", ""))
	must("filter by user", b.Fill("#f-user", "alice"))
	var received bool
	eval(`[...document.querySelectorAll("#rows tr.MessageReceived")].some((r) => r.innerText.includes(`+jsString(userTrace)+`))`, &received)
	if texts = cellsOf("user"); !allContain("alice") || !received || !restRow("/users/alice/") {
		t.Errorf("user filter: users %q, REST message %v, REST row %v", texts, received, restRow("/users/alice/"))
	}
	must("clear the user filter", b.Fill("#f-user", ""))

	// Pause: new events are counted but not shown until resume.
	must("pause", b.Click("#pause"))
	before := rowCount()
	eval(`(async () => { for (let i = 0; i < 3; i++) await fetch("/api/health?paused-probe=" + i); })()`, nil)
	must("paused count", b.WaitFor(`document.getElementById("counts").textContent.includes("paused")`, browserWait))
	time.Sleep(300 * time.Millisecond) // room for rows that should not appear
	during := rowCount()
	must("resume", b.Click("#pause"))
	must("held rows show", b.WaitFor(`document.getElementById("rows").innerText.includes("/api/health")`, browserWait))
	after := rowCount()
	if during != before || after <= before {
		t.Errorf("pause: rows before %d, during %d, after %d", before, during, after)
	}

	// Exports of what the filters show.
	must("export JSON", b.Download("#export-json", filepath.Join(out, "export.json")))
	var events []map[string]any
	if raw, err := os.ReadFile(filepath.Join(out, "export.json")); err != nil || json.Unmarshal(raw, &events) != nil {
		t.Fatalf("JSON export: %v %.200s", err, raw)
	}
	hasTrace := false
	for _, ev := range events {
		hasTrace = hasTrace || (ev["messageTracingId"] == trace && ev["operationName"] == "MessageDelivered")
	}
	if len(events) != after || !hasTrace {
		t.Errorf("JSON export: %d events, delivery of %s %v (rows %d)", len(events), trace, hasTrace, after)
	}
	must("export CSV", b.Download("#export-csv", filepath.Join(out, "export.csv")))
	raw, err := os.ReadFile(filepath.Join(out, "export.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\r\n")
	if !strings.HasPrefix(lines[0], "time,node,category,operationName,message,hubName,connectionId") || len(lines) != after+1 || !strings.Contains(string(raw), trace) {
		t.Errorf("CSV export: header %q, %d lines (rows %d), trace %v", lines[0], len(lines), after, strings.Contains(string(raw), trace))
	}

	// Sorting by a column, both ways; a new row takes its place in the order.
	sorted := func(desc bool) bool {
		v := cellsOf("event")
		for i := 1; i < len(v); i++ {
			a, b := strings.ToLower(v[i-1]), strings.ToLower(v[i])
			if (!desc && a > b) || (desc && a < b) {
				return false
			}
		}
		return len(v) > 1 && !strings.EqualFold(v[0], v[len(v)-1])
	}
	must("sort by event", b.Click(`th[data-col="event"]`))
	if !sorted(false) {
		t.Errorf("sorted by event: %q", cellsOf("event"))
	}
	must("reverse the sort", b.Click(`th[data-col="event"]`))
	if !sorted(true) {
		t.Errorf("sorted by event, descending: %q", cellsOf("event"))
	}
	n := rowCount()
	eval(`fetch("/api/health?sorted-probe").then(() => true)`, nil)
	must("a new row while sorted", b.WaitFor(`document.querySelectorAll("#rows tr").length > `+strconv.Itoa(n), browserWait))
	if !sorted(true) {
		t.Errorf("a new row broke the sort: %q", cellsOf("event"))
	}

	// Signing in with the AccessKey itself (signed in the browser), on a second page.
	must("second page", b.NewPage())
	if _, err := b.Open(strings.Split(pageURL, "#")[0]); err != nil {
		t.Fatal(err)
	}
	must("type the key", b.Fill("#key", node.DevAccessKey))
	must("connect", b.Click("#connect"))
	must("sign-in with the key", b.WaitFor(connected, browserWait))
	must("disconnect", b.Click("#disconnect"))
	must("type a wrong key", b.Fill("#key", "not-the-access-key-0123456789"))
	must("connect", b.Click("#connect"))
	must("refused", b.WaitFor(`!(`+connected+`)`, browserWait))
	time.Sleep(500 * time.Millisecond) // room for a wrong status to turn into "connected"
	var wrongKey string
	if eval(`document.getElementById("status").innerText`, &wrongKey); !strings.Contains(wrongKey, "refused") {
		t.Errorf("sign-in with a wrong key: %q", wrongKey)
	}
	var connectOff bool
	if eval(`document.getElementById("connect").disabled`, &connectOff); connectOff {
		t.Error("Connect stays disabled after a wrong key")
	}
	must("type the right key", b.Fill("#key", node.DevAccessKey))
	must("connect again", b.Click("#connect"))
	must("sign-in after a wrong key", b.WaitFor(connected, browserWait))
	checkScreenshot(t, filepath.Join(out, "rows.png"), total)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// checkScreenshot decodes the event table's screenshot and checks that it
// shows rows: as tall as rows lines, with dark text pixels on most lines.
func checkScreenshot(t *testing.T, path string, rows int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dy() < rows*12 || b.Dx() < 400 {
		t.Fatalf("screenshot of %d rows is %v", rows, b.Size())
	}
	inked := 0 // horizontal pixel lines with text on them
	for y := b.Min.Y; y < b.Max.Y; y++ {
		if darkPixels(img, y) > 5 {
			inked++
		}
	}
	if inked < rows*5 {
		t.Fatalf("screenshot shows text on %d of %d pixel lines for %d rows", inked, b.Dy(), rows)
	}
}

func darkPixels(img image.Image, y int) int {
	n := 0
	for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
		r, g, b, _ := img.At(x, y).RGBA()
		if (r+g+b)/3 < 0x8000 {
			n++
		}
	}
	return n
}
