// Package awstest runs a throwaway moto server (a local emulator of AWS
// APIs, installed with `pip install 'moto[server]'`) for tests of code
// that calls AWS with the SDK for Go v2.
package awstest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/heraldrt/herald/shared/testsupport"
)

// Region is the region the server's resources live in.
const Region = "us-east-1"

// Server is a running moto server.
type Server struct {
	// URL is the endpoint, e.g. http://127.0.0.1:40123: give it to the SDK
	// as AWS_ENDPOINT_URL or aws.Config.BaseEndpoint.
	URL string
}

// Start starts moto_server on a free loopback port and stops it when t
// ends. Without moto_server it fails with an install hint; under -short
// (make test-unit starts no server) it skips t.
func Start(t testing.TB) *Server {
	t.Helper()
	testsupport.SkipServer(t, "moto_server")
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("moto_server not found: pip install 'moto[server]' (it emulates Secrets Manager and SSM for these tests): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	var out bytes.Buffer
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port)}
	c := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := c.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s
		}
		select {
		case err := <-done:
			t.Fatalf("moto_server exited: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s: %v\n%s", s.URL, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Config is an SDK configuration for the server: its endpoint, Region and
// static test credentials.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
}

// Env sets the variables Lambda and ECS give a process (region and
// credentials) plus AWS_ENDPOINT_URL pointing at the server, for t.
func (s *Server) Env(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": s.URL, "AWS_REGION": Region,
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

// Context bounds a setup call.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
