// Package awsstack creates template.yaml's stack in a local AWS emulator for the deploy
// rehearsal: it transforms the SAM template with the SAM translator, lints it with
// cfn-lint, runs a throwaway moto_server on a loopback port and creates the stack there
// with boto3 (tests/deploy/stack.py), then hands back what the stack created, read
// through the service APIs (ELBv2, Lambda, ECS, Secrets Manager).
//
// The tools come from the system Python: cfn-lint, aws-sam-translator, boto3 and
// moto[server]. A missing one fails the test with an install hint, never a skip.
package awsstack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
)

// InstallHint is appended to every failure caused by a missing tool.
const InstallHint = "install the deploy rehearsal's tools: pip install cfn-lint aws-sam-translator boto3 'moto[server]'"

// Region is the region the stack is created in.
const Region = "us-east-1"

// Script is the path of the Python helper, relative to the repository root.
const Script = "tests/deploy/stack.py"

// Tools fails t when python3, cfn-lint or moto_server is missing.
func Tools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"python3", "cfn-lint", "moto_server"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("awsstack: %s not found (%v); %s", tool, err, InstallHint)
		}
	}
	out, err := exec.Command("python3", "-c", "import boto3, samtranslator, moto").CombinedOutput()
	if err != nil {
		t.Fatalf("awsstack: the system Python lacks a module (%v: %s); %s", err, out, InstallHint)
	}
}

// Translate packages and transforms the SAM template src (as `sam package` and
// CloudFormation's transform would) and returns the path of the CloudFormation template
// it wrote to dir.
func Translate(t testing.TB, root, src, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "translated.json")
	cmd := exec.Command("python3", filepath.Join(root, Script), "translate", src, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("awsstack: SAM translator on %s: %v\n%s", src, err, b)
	}
	return out
}

// Lint runs cfn-lint on the templates and returns what it reported ("" when nothing).
func Lint(t testing.TB, templates ...string) string {
	t.Helper()
	cmd := exec.Command("cfn-lint", templates...)
	b, err := cmd.CombinedOutput()
	if err != nil && len(b) == 0 {
		t.Fatalf("awsstack: cfn-lint: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// Moto is a running moto_server.
type Moto struct {
	// Endpoint is its base URL, http://127.0.0.1:PORT (AWS_ENDPOINT_URL).
	Endpoint string
	cmd      *exec.Cmd
	logs     *testsupport.Buffer
}

// StartMoto runs moto_server on a free loopback port until t ends.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	port := FreePort(t)
	m := &Moto{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), logs: &testsupport.Buffer{}}
	m.cmd = exec.Command("moto_server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	m.cmd.Stdout, m.cmd.Stderr = m.logs, m.logs
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("awsstack: moto_server: %v; %s", err, InstallHint)
	}
	exited := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(exited) }() // owned: the cleanup waits for it
	t.Cleanup(func() {
		_ = m.cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(m.Endpoint + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			return m
		}
		select {
		case <-exited:
			t.Fatalf("awsstack: moto_server exited: %s", m.logs)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("awsstack: moto_server did not answer within 30 s: %v\n%s", err, m.logs)
		}
	}
}

// Logs returns what moto_server has printed (its notes on unsupported resource types).
func (m *Moto) Logs() string { return m.logs.String() }

// FreePort returns a loopback TCP port nobody listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Deploy creates the stack named name from the translated template in m with params (a
// value "secret:V" becomes the ARN of a new secret holding V; "{vpc}",
// "{public-subnets}" and "{private-subnets}" name a network created for it) and returns
// what it created. The stack must reach CREATE_COMPLETE.
func (m *Moto) Deploy(t testing.TB, root, translated, name string, params map[string]string) *Stack {
	t.Helper()
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	pfile := filepath.Join(filepath.Dir(translated), name+"-params.json")
	if err := os.WriteFile(pfile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", filepath.Join(root, Script), "deploy", m.Endpoint, translated, pfile, name)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("awsstack: deploy %s: %v\n%s", name, err, stderr.String())
	}
	var s Stack
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("awsstack: deploy %s: %v\n%s", name, err, stdout.String())
	}
	if s.Status != "CREATE_COMPLETE" {
		t.Fatalf("awsstack: stack %s: %s %s\n%s", name, s.Status, s.StatusReason, m.Logs())
	}
	return &s
}

// Unsupported returns the resource types moto_server said it cannot create.
func (m *Moto) Unsupported() []string {
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(m.Logs(), "\n") {
		if typ, ok := strings.CutPrefix(line, "No Moto CloudFormation support for "); ok && !seen[typ] {
			seen[typ] = true
			out = append(out, strings.TrimSpace(typ))
		}
	}
	return out
}

// String describes m for failure messages.
func (m *Moto) String() string { return fmt.Sprintf("moto_server at %s", m.Endpoint) }
