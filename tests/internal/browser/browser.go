package browser

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// DefaultChromium is where Debian's chromium package installs the browser; it is used
// when EnvChromium is unset and no chromium is on PATH.
const DefaultChromium = "/usr/bin/chromium"

// EnvChromium names the environment variable holding the Chromium binary to use.
const EnvChromium = "HERALD_CHROMIUM"

const (
	installHint  = "install it with `apt-get install -y chromium` (Debian; .ci/run does) or set " + EnvChromium + " to a Chromium binary"
	npmHint      = "run `make js-deps` or `cd tests/js && npm ci`"
	readyTimeout = 60 * time.Second // node start and browser launch on a busy machine
	replySlack   = 10 * time.Second // how much longer than a command's own timeout a reply may take
	exitTimeout  = 20 * time.Second // closing the browser and node
)

// Browser is one headless Chromium with one page. Its methods run one command at a time.
type Browser struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *testsupport.Buffer

	callMu  sync.Mutex // one command in flight
	nextID  int
	replies chan reply
	done    chan struct{} // closed when the reader has ended

	mu  sync.Mutex
	log []string // page console output, page errors, failed requests
}

type reply struct {
	ID    int             `json:"id"`
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
	Event string          `json:"event"`
	Text  string          `json:"text"`
}

// Start launches the browser, failing the test (never skipping) when Chromium, node or
// playwright-core is missing. It is closed, and its reader waited for, in t.Cleanup; the
// page's log is printed when the test failed.
func Start(t testing.TB) *Browser {
	t.Helper()
	exe := chromiumPath()
	if st, err := os.Stat(exe); err != nil || st.IsDir() {
		t.Fatalf("browser: Chromium is not installed at %s; %s", exe, installHint)
	}
	root, err := jsclient.RepoRoot()
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	dir := filepath.Join(root, "tests", "js")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("browser: node is not installed (%v); install Node.js >= 20, then %s", err, npmHint)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("browser: playwright-core is missing in %s (%v); %s", dir, err, npmHint)
	}
	b := &Browser{stderr: &testsupport.Buffer{}, replies: make(chan reply, 16), done: make(chan struct{})}
	b.cmd = exec.Command(node, filepath.Join(dir, "browser.mjs"))
	b.cmd.Dir = dir
	b.cmd.Env = append(os.Environ(), EnvChromium+"="+exe)
	b.cmd.Stderr = b.stderr
	if b.stdin, err = b.cmd.StdinPipe(); err != nil {
		t.Fatalf("browser: %v", err)
	}
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("browser: start node: %v", err)
	}
	ready := make(chan struct{})
	go b.read(stdout, ready)
	t.Cleanup(func() {
		if err := b.close(); err != nil {
			t.Errorf("browser: %v", err)
		}
		if t.Failed() {
			t.Logf("browser: page log:\n%s\nbrowser: node stderr:\n%s", strings.Join(b.Log(), "\n"), b.stderr.String())
		}
	})
	select {
	case <-ready:
	case <-b.done:
		t.Fatalf("browser: the driver exited before Chromium was ready: %s", b.stderr.String())
	case <-time.After(readyTimeout):
		t.Fatalf("browser: Chromium not ready within %v: %s", readyTimeout, b.stderr.String())
	}
	return b
}

// chromiumPath is EnvChromium, else chromium on PATH, else DefaultChromium.
func chromiumPath() string {
	if exe := os.Getenv(EnvChromium); exe != "" {
		return exe
	}
	if exe, err := exec.LookPath("chromium"); err == nil {
		return exe
	}
	return DefaultChromium
}

// read dispatches the driver's stdout: replies to the caller, events to the log.
func (b *Browser) read(stdout io.Reader, ready chan struct{}) {
	defer close(b.done)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r reply
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			b.addLog("driver: " + sc.Text())
			continue
		}
		switch r.Event {
		case "":
			b.replies <- r
		case "ready":
			close(ready)
		default:
			b.addLog(r.Event + ": " + r.Text)
		}
	}
}

func (b *Browser) addLog(s string) {
	b.mu.Lock()
	b.log = append(b.log, s)
	b.mu.Unlock()
}

// Log returns what the page logged so far: console messages, page errors, failed requests.
func (b *Browser) Log() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.log...)
}

// call sends one command and waits for its reply.
func (b *Browser) call(cmd map[string]any, timeout time.Duration) (json.RawMessage, error) {
	b.callMu.Lock()
	defer b.callMu.Unlock()
	b.nextID++
	cmd["id"] = b.nextID
	line, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	if _, err := b.stdin.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("browser: write command: %w", err)
	}
	deadline := time.After(timeout + replySlack)
	for {
		select {
		case r := <-b.replies:
			if r.ID < b.nextID {
				continue // the late reply to a command that timed out
			}
			if !r.OK {
				return nil, fmt.Errorf("browser: %s: %s", cmd["op"], r.Error)
			}
			return r.Value, nil
		case <-b.done:
			return nil, fmt.Errorf("browser: driver exited: %s", b.stderr.String())
		case <-deadline:
			return nil, fmt.Errorf("browser: no reply to %s within %v", cmd["op"], timeout+replySlack)
		}
	}
}

// Open loads url in the page and returns the HTTP status of the document.
func (b *Browser) Open(url string) (int, error) {
	v, err := b.call(map[string]any{"op": "open", "url": url}, 30*time.Second)
	if err != nil {
		return 0, err
	}
	var status int
	err = json.Unmarshal(v, &status)
	return status, err
}

// WaitText waits until an element matching the CSS selector contains text.
func (b *Browser) WaitText(selector, text string, timeout time.Duration) error {
	_, err := b.call(map[string]any{"op": "waitText", "selector": selector, "text": text, "timeout": timeout.Milliseconds()}, timeout)
	return err
}

// Fill types value into the input matching selector, replacing its content.
func (b *Browser) Fill(selector, value string) error {
	_, err := b.call(map[string]any{"op": "fill", "selector": selector, "value": value}, 30*time.Second)
	return err
}

// Click clicks the element matching selector.
func (b *Browser) Click(selector string) error {
	_, err := b.call(map[string]any{"op": "click", "selector": selector}, 30*time.Second)
	return err
}

// Texts returns the text content of every element matching selector.
func (b *Browser) Texts(selector string) ([]string, error) {
	v, err := b.call(map[string]any{"op": "texts", "selector": selector}, 30*time.Second)
	if err != nil {
		return nil, err
	}
	var out []string
	err = json.Unmarshal(v, &out)
	return out, err
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise it yields) and
// decodes its JSON value into out (nil to drop it).
func (b *Browser) Eval(expr string, out any) error {
	v, err := b.call(map[string]any{"op": "eval", "expr": expr}, 30*time.Second)
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(v, out)
}

// WaitFor waits until the JavaScript expression is truthy in the page.
func (b *Browser) WaitFor(expr string, timeout time.Duration) error {
	_, err := b.call(map[string]any{"op": "waitFor", "expr": expr, "timeout": timeout.Milliseconds()}, timeout)
	return err
}

// SetChecked checks or unchecks the checkbox matching selector.
func (b *Browser) SetChecked(selector string, checked bool) error {
	_, err := b.call(map[string]any{"op": "check", "selector": selector, "checked": checked}, 30*time.Second)
	return err
}

// Screenshot saves a PNG of the element matching selector at path, or of the whole
// page when selector is empty.
func (b *Browser) Screenshot(selector, path string) error {
	_, err := b.call(map[string]any{"op": "screenshot", "selector": selector, "path": path}, 30*time.Second)
	return err
}

// Download clicks the element matching selector and saves the download it starts at path.
func (b *Browser) Download(selector, path string) error {
	_, err := b.call(map[string]any{"op": "download", "selector": selector, "path": path}, 30*time.Second)
	return err
}

// NewPage opens a new page in the same browser; later commands go to it.
func (b *Browser) NewPage() error {
	_, err := b.call(map[string]any{"op": "newPage"}, 30*time.Second)
	return err
}

// close ends stdin, which closes the browser, and waits for the reader and node (killing
// node when it does not exit in time).
func (b *Browser) close() error {
	_ = b.stdin.Close()
	select {
	case <-b.done:
	case <-time.After(exitTimeout):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	if err := b.cmd.Wait(); err != nil {
		return fmt.Errorf("node exited: %w", err)
	}
	return nil
}
