package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/lambdahttp"
	"github.com/heraldrt/herald/shared/testsupport"
)

// A local implementation of the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API), enough to
// run a provided.al2023 bootstrap the way Lambda does: the process polls
// GET /2018-06-01/runtime/invocation/next, gets one event with its request id, deadline
// and function ARN in headers, and posts the answer to .../invocation/<id>/response or a
// failure to .../invocation/<id>/error (or /runtime/init/error before the first poll).
// Like one Lambda execution environment, it hands out one invocation at a time.

const runtimeAPIPrefix = "/2018-06-01/runtime/"

// invocation is one event on its way through the function.
type invocation struct {
	id      string
	payload []byte
	done    chan invokeResult
}

// invokeResult is what the function posted for an invocation.
type invokeResult struct {
	body  []byte
	isErr bool // posted to /error: body is {"errorMessage","errorType"}
}

// runtimeAPI serves the Runtime API for one function process.
type runtimeAPI struct {
	srv     *httptest.Server
	queue   chan *invocation
	seq     atomic.Int64
	mu      sync.Mutex
	pending map[string]*invocation
	initErr []byte
	polled  time.Time // the first GET next: the function finished its init
}

func newRuntimeAPI(t *testing.T) *runtimeAPI {
	api := &runtimeAPI{queue: make(chan *invocation), pending: map[string]*invocation{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+runtimeAPIPrefix+"invocation/next", api.next)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"invocation/{id}/response", api.result(false))
	mux.HandleFunc("POST "+runtimeAPIPrefix+"invocation/{id}/error", api.result(true))
	mux.HandleFunc("POST "+runtimeAPIPrefix+"init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		api.mu.Lock()
		api.initErr = body
		api.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	api.srv = httptest.NewServer(mux)
	t.Cleanup(api.srv.Close) // after the process is gone: its pending poll has ended
	return api
}

// addr is the value of AWS_LAMBDA_RUNTIME_API: host:port.
func (a *runtimeAPI) addr() string { return strings.TrimPrefix(a.srv.URL, "http://") }

func (a *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	if a.polled.IsZero() {
		a.polled = time.Now()
	}
	a.mu.Unlock()
	var inv *invocation
	select {
	case inv = <-a.queue:
	case <-r.Context().Done():
		return // the process went away
	}
	a.mu.Lock()
	a.pending[inv.id] = inv
	a.mu.Unlock()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:herald-test")
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.payload)
}

func (a *runtimeAPI) result(isErr bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		a.mu.Lock()
		inv := a.pending[r.PathValue("id")]
		delete(a.pending, r.PathValue("id"))
		a.mu.Unlock()
		if inv == nil || err != nil {
			http.Error(w, "unknown invocation", http.StatusBadRequest)
			return
		}
		inv.done <- invokeResult{body: body, isErr: isErr}
		w.WriteHeader(http.StatusAccepted)
	}
}

// invoke hands payload to the function and waits for its answer; it returns the request
// id it used too.
func (a *runtimeAPI) invoke(ctx context.Context, payload []byte) (invokeResult, string, error) {
	inv := &invocation{
		id:      fmt.Sprintf("8f0e%04d-1c2d-4e5f-8a9b-%012d", a.seq.Add(1), time.Now().UnixNano()%1e12),
		payload: payload,
		done:    make(chan invokeResult, 1),
	}
	select {
	case a.queue <- inv:
	case <-ctx.Done():
		return invokeResult{}, inv.id, fmt.Errorf("the function did not poll for the invocation: %w (init error: %s)", ctx.Err(), a.initError())
	}
	select {
	case res := <-inv.done:
		return res, inv.id, nil
	case <-ctx.Done():
		return invokeResult{}, inv.id, fmt.Errorf("no answer: %w", ctx.Err())
	}
}

func (a *runtimeAPI) initError() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return string(a.initErr)
}

// lambdaFunction is a bootstrap process served by its own runtime API.
type lambdaFunction struct {
	name   string
	api    *runtimeAPI
	cmd    *exec.Cmd
	stdout *testsupport.Buffer // the function's logs (lambdacontext writes to stdout)
	stderr *testsupport.Buffer
	exited chan struct{}
	start  time.Time
}

// startFunction runs bootstrap with exactly env (Lambda gives a clean environment) plus
// AWS_LAMBDA_RUNTIME_API, and stops it when t ends.
func startFunction(t *testing.T, name, bootstrap string, env map[string]string) *lambdaFunction {
	t.Helper()
	f := &lambdaFunction{name: name, api: newRuntimeAPI(t), stdout: &testsupport.Buffer{}, stderr: &testsupport.Buffer{}, exited: make(chan struct{})}
	f.cmd = exec.Command(bootstrap)
	for k, v := range env {
		f.cmd.Env = append(f.cmd.Env, k+"="+v)
	}
	f.cmd.Env = append(f.cmd.Env, "AWS_LAMBDA_RUNTIME_API="+f.api.addr()) // last wins
	f.cmd.Stdout, f.cmd.Stderr = f.stdout, f.stderr
	f.start = time.Now()
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { _ = f.cmd.Wait(); close(f.exited) }() // owned: the cleanup waits for it
	t.Cleanup(func() {
		select {
		case <-f.exited:
			t.Errorf("%s exited by itself: %v", name, f.cmd.ProcessState)
		default:
			_ = f.cmd.Process.Kill() // Lambda freezes and discards environments
			<-f.exited
		}
		if t.Failed() || os.Getenv(logsEnv) != "" {
			t.Logf("%s stdout:\n%s\nstderr:\n%s", name, f.stdout, f.stderr)
		}
	})
	return f
}

// initTime is how long the process took from its start to its first poll for an
// invocation (Lambda's init phase); zero while it has not polled.
func (f *lambdaFunction) initTime() time.Duration {
	f.api.mu.Lock()
	defer f.api.mu.Unlock()
	if f.api.polled.IsZero() {
		return 0
	}
	return f.api.polled.Sub(f.start)
}

// invoke sends payload and returns the function's answer (an invocation error fails t)
// and the request id.
func (f *lambdaFunction) invoke(t *testing.T, payload []byte) ([]byte, string) {
	t.Helper()
	res, id, err := f.invokeRaw(payload)
	if err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
	if res.isErr {
		t.Fatalf("%s: invocation %s failed: %s", f.name, id, res.body)
	}
	return res.body, id
}

func (f *lambdaFunction) invokeRaw(payload []byte) (invokeResult, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return f.api.invoke(ctx, payload)
}

// lambdaBuild is the directory of the bootstraps built by the Makefile's sam targets.
var lambdaBuild struct {
	once sync.Once
	dir  string
	err  error
	bins map[string]string // logical id → bootstrap
}

// buildLambdas runs `make build-<LogicalId>` for each function of the template, as
// sam build does, with ARTIFACTS_DIR set and only the target architecture changed to
// this machine's, so the bootstraps run here. Built once per test binary.
func buildLambdas(t *testing.T, logicalIDs []string) map[string]string {
	t.Helper()
	lambdaBuild.once.Do(func() {
		lambdaBuild.dir, lambdaBuild.err = os.MkdirTemp("", "herald-lambda-")
		if lambdaBuild.err != nil {
			return
		}
		lambdaBuild.bins = map[string]string{}
		for _, id := range logicalIDs {
			out := filepath.Join(lambdaBuild.dir, id)
			cmd := exec.Command("make", "--no-print-directory", "build-"+id, "ARTIFACTS_DIR="+out,
				"LAMBDA_ENV=CGO_ENABLED=0 GOOS="+runtime.GOOS+" GOARCH="+runtime.GOARCH)
			cmd.Dir = ".."
			if b, err := cmd.CombinedOutput(); err != nil {
				lambdaBuild.err = fmt.Errorf("make build-%s: %w\n%s", id, err, b)
				return
			}
			lambdaBuild.bins[id] = filepath.Join(out, "bootstrap")
		}
	})
	if lambdaBuild.err != nil {
		t.Fatal(lambdaBuild.err)
	}
	return lambdaBuild.bins
}

// removeLambdaBuild deletes what buildLambdas built (TestMain calls it).
func removeLambdaBuild() {
	if lambdaBuild.dir != "" {
		_ = os.RemoveAll(lambdaBuild.dir)
	}
}

func decodeALB(t *testing.T, raw []byte) lambdahttp.ALBResponse {
	t.Helper()
	var a lambdahttp.ALBResponse
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("answer %s is not an ALB response: %v", raw, err)
	}
	return a
}
