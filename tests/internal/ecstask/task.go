// Package ecstask runs a container of an ECS task definition as a local process, for
// the deploy rehearsal: with the container's environment and its secrets injected as
// ECS injects them, and a task metadata endpoint v4 (ECS_CONTAINER_METADATA_URI_V4)
// whose task DesiredStatus the test flips to STOPPED when ECS would start stopping the
// task. Stop is what ECS does next: SIGTERM, then SIGKILL after the container's
// StopTimeout.
package ecstask

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
)

// MetadataEnv is the variable ECS sets to the container's metadata endpoint v4.
const MetadataEnv = "ECS_CONTAINER_METADATA_URI_V4"

// Task is one running task of one container.
type Task struct {
	Name string
	ARN  string
	cmd  *exec.Cmd
	logs *testsupport.Buffer
	meta *httptest.Server

	mu       sync.Mutex
	desired  string
	metaHits int

	waited  chan struct{}
	waitErr error
	stopped sync.Once
	stopErr error
	stopAt  time.Duration // SIGTERM → exit
}

// Start runs bin with exactly env plus the metadata endpoint variable (a clean
// environment, as in a container) until Stop; t's cleanup kills it if still running.
func Start(t testing.TB, name, bin string, env map[string]string) *Task {
	t.Helper()
	k := &Task{Name: name, ARN: "arn:aws:ecs:us-east-1:123456789012:task/rehearsal/" + name, logs: &testsupport.Buffer{}, desired: "RUNNING", waited: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /task", func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		desired := k.desired
		k.metaHits++
		k.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"Cluster": "rehearsal", "TaskARN": k.ARN, "Family": "gateway", "Revision": "1",
			"DesiredStatus": desired, "KnownStatus": "RUNNING", "LaunchType": "FARGATE",
			"Containers": []map[string]any{{"Name": name, "DesiredStatus": desired, "KnownStatus": "RUNNING"}},
		})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"Name": name, "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING"})
	})
	k.meta = httptest.NewServer(mux)
	k.cmd = exec.Command(bin)
	for key, v := range env {
		k.cmd.Env = append(k.cmd.Env, key+"="+v)
	}
	k.cmd.Env = append(k.cmd.Env, MetadataEnv+"="+k.meta.URL)
	k.cmd.Stdout, k.cmd.Stderr = k.logs, k.logs
	if err := k.cmd.Start(); err != nil {
		k.meta.Close()
		t.Fatalf("ecstask: %s: %v", name, err)
	}
	go func() { k.waitErr = k.cmd.Wait(); close(k.waited) }() // owned: Stop and the cleanup wait for it
	t.Cleanup(func() {
		select {
		case <-k.waited:
		default:
			_ = k.cmd.Process.Kill()
			<-k.waited
		}
		k.meta.Close()
	})
	return k
}

// SetDesired sets the task's DesiredStatus in the metadata endpoint ("STOPPED" when ECS
// starts stopping it).
func (k *Task) SetDesired(status string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.desired = status
}

// MetadataReads counts the reads of the task metadata.
func (k *Task) MetadataReads() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.metaHits
}

// Exited is closed once the process has exited.
func (k *Task) Exited() <-chan struct{} { return k.waited }

// Stop sends SIGTERM, waits up to stopTimeout, then SIGKILL. It returns an error when the
// process had exited by itself before, exited with a failure or had to be killed.
func (k *Task) Stop(stopTimeout time.Duration) error {
	k.stopped.Do(func() {
		select {
		case <-k.waited:
			k.stopErr = fmt.Errorf("ecstask: %s had exited by itself: %v", k.Name, k.waitErr)
			return
		default:
		}
		start := time.Now()
		_ = k.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-k.waited:
			k.stopAt = time.Since(start)
			k.stopErr = k.waitErr
		case <-time.After(stopTimeout):
			_ = k.cmd.Process.Kill()
			<-k.waited
			k.stopErr = errors.New("ecstask: " + k.Name + " ignored SIGTERM for the StopTimeout: SIGKILL")
		}
	})
	return k.stopErr
}

// StopTook is how long the process took from SIGTERM to its exit.
func (k *Task) StopTook() time.Duration { return k.stopAt }

// Logs returns what the process printed.
func (k *Task) Logs() string { return k.logs.String() }
