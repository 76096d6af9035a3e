// Package taskmeta watches the ECS task metadata endpoint (version 4) for
// the moment ECS starts stopping the task, so a gateway can close its
// clients gracefully before the load balancer cuts them.
//
// On a rolling deploy or a scale-in ECS first deregisters the task from
// its target group and waits the deregistration delay, and only then
// sends SIGTERM. During that delay the task metadata endpoint already
// reports the task's DesiredStatus as STOPPED (docs/deploy-drain.md): the
// watcher polls $ECS_CONTAINER_METADATA_URI_V4/task and calls its
// callback once, at the first STOPPED it reads.
package taskmeta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// EnvVar is the variable ECS (Fargate platform 1.4 and newer, EC2 agent
// 1.39 and newer) sets in every container to the base URL of the endpoint.
const EnvVar = "ECS_CONTAINER_METADATA_URI_V4"

// DefaultInterval is the default time between two polls.
const DefaultInterval = time.Second

// maxBody bounds one answer: a task's metadata lists its containers and is
// a few KiB.
const maxBody = 1 << 20

// StatusStopped is the DesiredStatus of a task ECS is stopping.
const StatusStopped = "STOPPED"

// ErrBadAnswer wraps an answer the watcher cannot read.
var ErrBadAnswer = errors.New("taskmeta: unreadable answer")

// Config configures Watch.
type Config struct {
	// BaseURL is the value of ECS_CONTAINER_METADATA_URI_V4. Required.
	BaseURL string
	// Interval is the time between two polls. Default DefaultInterval.
	Interval time.Duration
	// Client makes the requests. Default: a client with a timeout of
	// Interval (at least 1s).
	Client *http.Client
	// Logger receives one line when the endpoint starts failing and one
	// when it answers again. Default discard.
	Logger *slog.Logger
}

// DesiredStatus reads the task's desired status (RUNNING, STOPPED) once.
func DesiredStatus(ctx context.Context, c *http.Client, baseURL string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(baseURL, "/")+"/task", nil)
	if err != nil {
		return "", fmt.Errorf("taskmeta: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("taskmeta: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", fmt.Errorf("taskmeta: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: status %d", ErrBadAnswer, resp.StatusCode)
	}
	var task struct {
		DesiredStatus string `json:"DesiredStatus"`
	}
	if err := json.Unmarshal(body, &task); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	if task.DesiredStatus == "" {
		return "", fmt.Errorf("%w: no DesiredStatus", ErrBadAnswer)
	}
	return task.DesiredStatus, nil
}

// Watch polls cfg.BaseURL every cfg.Interval until ctx is done or the
// task's DesiredStatus is STOPPED; then it calls stopping once and
// returns. Failed polls are logged (once until the endpoint answers
// again) and retried: they never call stopping.
func Watch(ctx context.Context, cfg Config, stopping func()) {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: max(cfg.Interval, time.Second)}
	}
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	failing := false
	for {
		status, err := DesiredStatus(ctx, cfg.Client, cfg.BaseURL)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				cfg.Logger.Warn("task metadata endpoint unreadable; retrying", "err", err)
				failing = true
			}
		case status == StatusStopped:
			stopping() // the caller logs what it does

			return
		default:
			if failing {
				cfg.Logger.Info("task metadata endpoint answers again", "desiredStatus", status)
				failing = false
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
