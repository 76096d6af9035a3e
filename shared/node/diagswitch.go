package node

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/diag"
)

// DefaultDiagPoll is Config.DiagPoll when not set.
const DefaultDiagPoll = 2 * time.Second

// DiagStore holds the deployment's diagnostics switches (JSON);
// redisbus.Bus implements it. A node whose bus is not one runs with its
// own switches only.
type DiagStore interface {
	// DiagSwitches returns the stored switches and false when none are set.
	DiagSwitches(ctx context.Context) ([]byte, bool, error)
	// SetDiagSwitches stores the switches; nil deletes them.
	SetDiagSwitches(ctx context.Context, value []byte) error
}

// Where the switches in use come from (GET /admin/diagnostics "source").
const (
	sourceEnvironment = "environment" // HERALD_LOG_* (the flags)
	sourceDeployment  = "deployment"  // the deployment setting in Redis
	sourceNode        = "node"        // this node's admin listener
)

// DeploymentSetting is the deployment's diagnostics switches as stored
// in Redis: the switches, who set them and when. A field the stored JSON
// lacks reads as off.
type DeploymentSetting struct {
	diag.Switches
	By string    `json:"by,omitempty"`
	At time.Time `json:"at"`
}

// ReadDeploymentSetting returns the deployment setting in store and its
// raw value; nil when none is set.
func ReadDeploymentSetting(ctx context.Context, store DiagStore) (*DeploymentSetting, string, error) {
	ctx, cancel := context.WithTimeout(ctx, diagTimeout)
	defer cancel()
	v, ok, err := store.DiagSwitches(ctx)
	if err != nil || !ok {
		return nil, "", err
	}
	var st DeploymentSetting
	if err := json.Unmarshal(v, &st); err != nil {
		return nil, "", fmt.Errorf("node: the stored diagnostics switches are not valid: %w", err)
	}
	return &st, string(v), nil
}

// WriteDeploymentSetting applies p over the deployment setting in store
// (over base when there is none) and stores it, by whom and now, for
// every node to follow within a poll. It returns what it stored and its
// raw value. A stored setting that is not valid JSON is an error: it is
// not overwritten unseen.
func WriteDeploymentSetting(ctx context.Context, store DiagStore, base diag.Switches, p diag.SwitchesPatch, by string) (DeploymentSetting, string, error) {
	cur, _, err := ReadDeploymentSetting(ctx, store)
	if err != nil {
		return DeploymentSetting{}, "", err
	}
	if cur != nil {
		base = cur.Switches
	}
	st := DeploymentSetting{Switches: p.Apply(base), By: by, At: time.Now().UTC()}
	v, err := json.Marshal(st)
	if err != nil {
		return DeploymentSetting{}, "", fmt.Errorf("node: diagnostics switches: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, diagTimeout)
	defer cancel()
	if err := store.SetDiagSwitches(ctx, v); err != nil {
		return DeploymentSetting{}, "", err
	}
	return st, string(v), nil
}

// diagTimeout bounds one read or write of the deployment setting.
const diagTimeout = 2 * time.Second

// switcher changes the tracer's switches at runtime: from the admin
// listener and from the deployment setting, which it polls. Precedence:
// the deployment setting overrides the environment while it is present;
// a node-scoped change lasts until the deployment setting changes (or is
// removed) or the node restarts.
type switcher struct {
	tracer *diag.Tracer
	store  DiagStore // nil: no deployment setting (no Redis)
	log    *slog.Logger

	mu      sync.Mutex // orders changes
	seen    string     // the deployment value last acted on; "" none
	source  string
	failing bool // the last poll could not read the setting
}

func newSwitcher(t *diag.Tracer, store DiagStore, log *slog.Logger) *switcher {
	return &switcher{tracer: t, store: store, log: log, source: sourceEnvironment}
}

// applyLocked switches the tracer to sw and logs the change, once, with
// who asked.
func (d *switcher) applyLocked(sw diag.Switches, source, by string) {
	old := d.tracer.SetSwitches(sw)
	d.source = source
	d.log.Info("diagnostics switches changed", "source", source, "by", by,
		"old", old.String(), "new", sw.String())
}

// poll reads the deployment setting once and applies it when it changed.
// A setting that cannot be read keeps the switches in use (logged once
// per outage); a removed one returns to the environment's.
func (d *switcher) poll(ctx context.Context) {
	// Read under the lock: a value read before an admin's write must not
	// be applied after it.
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, diagTimeout)
	defer cancel()
	v, ok, err := d.store.DiagSwitches(ctx)
	if err != nil {
		if !d.failing {
			d.log.Warn("diagnostics switches: the deployment setting cannot be read; keeping the switches in use", "err", err)
		}
		d.failing = true
		return
	}
	if d.failing {
		d.failing = false
		d.log.Info("diagnostics switches: the deployment setting can be read again")
	}
	switch {
	case !ok && d.seen != "":
		d.seen = ""
		d.applyLocked(d.tracer.Defaults(), sourceEnvironment, "deployment setting removed")
	case ok && string(v) != d.seen:
		d.seen = string(v)
		var st DeploymentSetting
		if err := json.Unmarshal(v, &st); err != nil {
			d.log.Warn("diagnostics switches: the deployment setting is not valid; keeping the switches in use", "err", err)
			return
		}
		d.applyLocked(st.Switches, sourceDeployment, st.By)
	}
}

// run polls every interval until ctx is done.
func (d *switcher) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		d.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setNode applies p over the switches in use, on this node only.
func (d *switcher) setNode(p diag.SwitchesPatch, by string) diag.Switches {
	d.mu.Lock()
	defer d.mu.Unlock()
	sw := p.Apply(d.tracer.Switches())
	d.applyLocked(sw, sourceNode, by)
	return sw
}

// deployment returns the stored deployment setting, if any, and its raw
// value.
func (d *switcher) deployment(ctx context.Context) (*DeploymentSetting, string, error) {
	return ReadDeploymentSetting(ctx, d.store)
}

// setDeployment applies p over the deployment setting (over this node's
// environment when there is none), stores it for every node and applies
// it here at once.
func (d *switcher) setDeployment(ctx context.Context, p diag.SwitchesPatch, by string) (diag.Switches, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, v, err := WriteDeploymentSetting(ctx, d.store, d.tracer.Defaults(), p, by)
	if err != nil {
		return diag.Switches{}, err
	}
	d.seen = v
	d.applyLocked(st.Switches, sourceDeployment, by)
	return st.Switches, nil
}

// clearDeployment removes the deployment setting: every node returns to
// its environment's switches within a poll; this one at once.
func (d *switcher) clearDeployment(ctx context.Context, by string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, diagTimeout)
	defer cancel()
	if err := d.store.SetDiagSwitches(ctx, nil); err != nil {
		return err
	}
	d.seen = ""
	d.applyLocked(d.tracer.Defaults(), sourceEnvironment, by)
	return nil
}

// resetNode ends a node-scoped change: back to the deployment setting when
// there is one, else to the environment's switches.
func (d *switcher) resetNode(ctx context.Context, by string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.store != nil {
		st, raw, err := d.deployment(ctx)
		if err != nil {
			return err
		}
		if st != nil {
			d.seen = raw
			d.applyLocked(st.Switches, sourceDeployment, by)
			return nil
		}
	}
	d.seen = ""
	d.applyLocked(d.tracer.Defaults(), sourceEnvironment, by)
	return nil
}

// wireSwitches makes the switcher of the node's tracer, on the bus's
// deployment setting when the bus holds one, and its metrics.
func (s *Server) wireSwitches() error {
	store, _ := s.bus.(DiagStore)
	s.switches = newSwitcher(s.cfg.Tracer, store, s.log)
	return registerSwitchMetrics(s.cfg.Registry, s.cfg.Tracer)
}

// watchSwitches polls the deployment setting, when there is one, every
// Config.DiagPoll until the returned stop is called (it waits).
func (s *Server) watchSwitches(ctx context.Context) (stop func()) {
	if s.switches.store == nil {
		return func() {}
	}
	interval := s.cfg.DiagPoll
	if interval <= 0 {
		interval = DefaultDiagPoll
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.switches.run(ctx, interval)
	}()
	return func() { cancel(); <-done }
}

// Source says where the switches in use come from.
func (d *switcher) Source() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.source
}

// registerSwitchMetrics exposes the switches in use as
// herald_resource_logs_enabled{category}: 1 on, 0 off.
func registerSwitchMetrics(reg prometheus.Registerer, t *diag.Tracer) error {
	for category, on := range map[string]func(diag.Switches) bool{
		"connectivity":         func(s diag.Switches) bool { return s.Connectivity },
		"messaging_all":        func(s diag.Switches) bool { return s.Messaging == diag.MessagingAll },
		"messaging_diagnostic": func(s diag.Switches) bool { return s.Messaging == diag.MessagingDiagnostic },
		"http":                 func(s diag.Switches) bool { return s.HTTP },
	} {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "herald_resource_logs_enabled",
			Help:        "Resource log categories on (1) or off (0) on this node now: the environment's, or as switched at runtime.",
			ConstLabels: prometheus.Labels{"category": category},
		}, func() float64 {
			if on(t.Switches()) {
				return 1
			}
			return 0
		})
		if err := reg.Register(g); err != nil {
			return fmt.Errorf("node: resource log metrics: %w", err)
		}
	}
	return nil
}
