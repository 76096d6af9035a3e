// Package rie runs a Lambda function's bootstrap under AWS's Runtime Interface Emulator
// (github.com/aws/aws-lambda-runtime-interface-emulator, cmd/aws-lambda-rie), built from
// the Go module proxy at a pinned version. The emulator serves the Lambda Runtime API to
// the bootstrap and takes invocations on POST /2015-03-31/functions/function/invocations;
// like one Lambda execution environment it runs one invocation at a time, so Invoke
// serialises them.
package rie

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/tests/internal/awsstack"

	"github.com/heraldrt/herald/shared/testsupport"
)

// Module and Version pin the emulator.
const (
	Module  = "github.com/aws/aws-lambda-runtime-interface-emulator"
	Version = "v0.0.0-20261030222936-bef5c4ba774d"
)

// InvokePath is where the emulator takes invocations.
const InvokePath = "/2015-03-31/functions/function/invocations"

// Build installs aws-lambda-rie into dir (go install from the module proxy; the go build
// cache makes later builds quick) and returns its path.
func Build(dir string) (string, error) {
	cmd := exec.Command("go", "install", Module+"/cmd/aws-lambda-rie@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("rie: go install %s/cmd/aws-lambda-rie@%s: %w\n%s", Module, Version, err, out)
	}
	return filepath.Join(dir, "aws-lambda-rie"), nil
}

// Function is one bootstrap running under the emulator.
type Function struct {
	Name   string
	url    string
	cmd    *exec.Cmd
	logs   *testsupport.Buffer
	exited chan struct{}
	mu     sync.Mutex // one invocation at a time, as in one execution environment
	client *http.Client
}

// Start runs bootstrap under the emulator rie with exactly env (Lambda gives a clean
// environment) and the Lambda variables the configuration implies (function name,
// memory, timeout, handler). It is killed when t ends (Lambda discards environments).
func Start(t testing.TB, rie, name, bootstrap, handler string, timeout, memory int, env map[string]string) *Function {
	t.Helper()
	apiPort, rapidPort := awsstack.FreePort(t), awsstack.FreePort(t)
	f := &Function{Name: name, url: "http://127.0.0.1:" + strconv.Itoa(apiPort) + InvokePath,
		logs: &testsupport.Buffer{}, exited: make(chan struct{}),
		client: &http.Client{Timeout: time.Duration(timeout+5) * time.Second}}
	f.cmd = exec.Command(rie,
		"--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(rapidPort),
		bootstrap)
	f.cmd.Dir = filepath.Dir(bootstrap)
	f.cmd.Env = []string{"PATH=/usr/bin:/bin", "LOG_LEVEL=warn"}
	for k, v := range env {
		f.cmd.Env = append(f.cmd.Env, k+"="+v)
	}
	f.cmd.Env = append(f.cmd.Env,
		"AWS_LAMBDA_FUNCTION_NAME="+name,
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(timeout),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(memory),
		"_HANDLER="+handler)
	f.cmd.Stdout, f.cmd.Stderr = f.logs, f.logs
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("rie: %s: %v", name, err)
	}
	go func() { _ = f.cmd.Wait(); close(f.exited) }() // owned: the cleanup waits for it
	t.Cleanup(func() {
		_ = f.cmd.Process.Kill()
		<-f.exited
		f.client.CloseIdleConnections()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(apiPort), time.Second)
		if err == nil {
			c.Close()
			return f
		}
		select {
		case <-f.exited:
			t.Fatalf("rie: %s exited: %s", name, f.logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("rie: %s did not listen within 20 s: %s", name, f.logs)
		}
	}
}

// Invoke sends payload and returns the function's answer. An invocation error (the
// function posted to /error, or the emulator failed) is an error carrying the body.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke %s: %w", f.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke %s: %w", f.Name, err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Lambda-Runtime-Function-Error-Type") != "" || bytes.Contains(body, []byte(`"errorType"`)) {
		return body, fmt.Errorf("rie: invoke %s: %d %s", f.Name, resp.StatusCode, body)
	}
	return body, nil
}

// Logs returns what the emulator and the function printed.
func (f *Function) Logs() string { return f.logs.String() }
