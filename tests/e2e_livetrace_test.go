package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/emulator"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/syncbuf"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// browserStep is one line the live trace browser script prints.
type browserStep struct {
	Step        string `json:"step"`
	Message     string `json:"message"`
	HashCleared bool   `json:"hashCleared"`
	Total       int    `json:"total"`
	ConnFilter  struct {
		Rows     int  `json:"rows"`
		AllMatch bool `json:"allMatch"`
	} `json:"connFilter"`
	KindFilter struct {
		Rows            int  `json:"rows"`
		AllConnectivity bool `json:"allConnectivity"`
	} `json:"kindFilter"`
	Search struct {
		Rows     int  `json:"rows"`
		AllMatch bool `json:"allMatch"`
	} `json:"search"`
	Pause struct {
		Before, During, After int
	} `json:"pause"`
	ExportJSON struct {
		Events   int  `json:"events"`
		HasTrace bool `json:"hasTrace"`
	} `json:"exportJSON"`
	ExportCSV struct {
		Header   string `json:"header"`
		Lines    int    `json:"lines"`
		HasTrace bool   `json:"hasTrace"`
	} `json:"exportCSV"`
	KeySignIn      bool   `json:"keySignIn"`
	WrongKeyStatus string `json:"wrongKeyStatus"`
}

// The live trace page in headless Chromium shows the connections and
// messages of official clients as they happen, filters, pauses, searches
// and exports them; a screenshot shows the event rows.
func TestLiveTracePageInChromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pageURL, err := e.srv.LiveTraceURL(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if d := os.Getenv("LIVETRACE_SHOTS"); d != "" {
		out = d // keep the screenshots and exports for a look
	}
	steps, send := startBrowser(t, pageURL, emulator.DevAccessKey, out)
	if s := next(t, steps, "connected"); !s.HashCleared {
		t.Error("the page kept the token in its URL")
	}

	ctx := context.Background()
	id := e.connect(t, "c1", "alice")
	e.connectWith(t, jsclient.MessagePack, "c2", "bob")
	text := e.payload("live")
	resp := status(t, "send to all", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, []any{text}))
	e.expectRecv(t, "c1", text)
	trace := resp.Header.Get(httpapi.TraceHeader)
	send(map[string]string{"connectionId": id, "traceId": trace})

	r := next(t, steps, "result")
	if r.Total < 5 { // 2 starts, 1 receipt, 2 deliveries, HTTP requests
		t.Errorf("rows: %d", r.Total)
	}
	if r.ConnFilter.Rows == 0 || !r.ConnFilter.AllMatch {
		t.Errorf("connection filter: %+v", r.ConnFilter)
	}
	if r.KindFilter.Rows < 2 || !r.KindFilter.AllConnectivity {
		t.Errorf("kind filter: %+v", r.KindFilter)
	}
	if r.Search.Rows < 3 || !r.Search.AllMatch { // receipt and two deliveries
		t.Errorf("search: %+v", r.Search)
	}
	if r.Pause.During != r.Pause.Before || r.Pause.After <= r.Pause.Before {
		t.Errorf("pause: %+v", r.Pause)
	}
	if r.ExportJSON.Events != r.Pause.After || !r.ExportJSON.HasTrace {
		t.Errorf("JSON export: %+v (rows %d)", r.ExportJSON, r.Pause.After)
	}
	if !strings.HasPrefix(r.ExportCSV.Header, "time,node,category,event,hub,connectionId") || r.ExportCSV.Lines != r.Pause.After+1 || !r.ExportCSV.HasTrace {
		t.Errorf("CSV export: %+v", r.ExportCSV)
	}
	if !r.KeySignIn || !strings.Contains(r.WrongKeyStatus, "refused") {
		t.Errorf("sign-in with the key: %v, with a wrong key: %q", r.KeySignIn, r.WrongKeyStatus)
	}
	checkScreenshot(t, filepath.Join(out, "rows.png"), r.Total)
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

// startBrowser runs tests/js/livetrace.mjs and returns its steps and a
// function writing one JSON line to it.
func startBrowser(t *testing.T, pageURL, key, out string) (<-chan browserStep, func(any)) {
	t.Helper()
	root, err := jsclient.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "tests", "js")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("playwright-core is missing in %s (%v): run `cd tests/js && npm ci`", dir, err)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		if chromium, err = exec.LookPath("chromium"); err != nil {
			t.Fatalf("chromium is not installed (%v): apt-get install -y chromium, or set CHROMIUM", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, "node", "livetrace.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LIVETRACE_URL="+pageURL, "ACCESS_KEY="+key, "OUT_DIR="+out, "CHROMIUM="+chromium)
	stderr := &syncbuf.Buffer{}
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	steps := make(chan browserStep, 16)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(steps)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var s browserStep
			if json.Unmarshal(sc.Bytes(), &s) != nil {
				s = browserStep{Step: "invalid", Message: sc.Text()}
			}
			steps <- s
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var werr error
		select {
		case werr = <-done:
		case <-time.After(30 * time.Second):
			cancel()
			werr = <-done
		}
		cancel()
		for range steps { // drain so the reader can end
		}
		<-readDone
		if werr != nil || t.Failed() {
			t.Logf("browser script: %v\nstderr:\n%s", werr, stderr.String())
		}
	})
	return steps, func(v any) {
		b, _ := json.Marshal(v)
		if _, err := io.WriteString(stdin, string(b)+"\n"); err != nil {
			t.Fatalf("write to the browser script: %v", err)
		}
	}
}

// next waits for the browser script's step, failing on its errors.
func next(t *testing.T, steps <-chan browserStep, want string) browserStep {
	t.Helper()
	timeout := time.After(90 * time.Second)
	for {
		select {
		case s, ok := <-steps:
			switch {
			case !ok:
				t.Fatalf("browser script ended before %q", want)
			case s.Step == want:
				return s
			case s.Step == "error":
				t.Fatalf("browser script: %s", s.Message)
			case s.Step == "console":
				t.Logf("browser console: %s", s.Message)
			}
		case <-timeout:
			t.Fatalf("browser script: no %q step", want)
		}
	}
}
