// Package tests holds Herald's cross-component end-to-end tests: each test starts a whole
// emulator (app negotiate, REST API and gateway on one listener) on a free port, drives the
// official @microsoft/signalr client through the node driver (internal/jsclient) and calls
// the REST API exactly like the Azure Management SDK (internal/mgmt).
//
// The scale-out tier (multinode_test.go, process_test.go) runs real processes instead,
// built once per run (with -race when the tests run with it): per test a throwaway
// redis-server, gateway processes (the shipped ./gateway binary, configured by its
// environment; `local --role gateway` where a test needs the 1 s node TTL the gateway
// binary does not let its environment set) and a functions process (`local --role
// functions`), with clients on both gateways and REST calls through the functions
// process. The deployment tiers (deploy_lambda_test.go, the deploy rehearsal) run the
// Lambda bootstraps with the gateway binary. It needs redis-server (≥ 7) on PATH.
// HERALD_CHILD_LOGS=1 prints the processes' logs even when a test passes.
//
// Run with `make test-e2e` or, once `cd tests/js && npm ci` has run,
// `go test -race -count=1 ./tests/...`. Missing node or npm packages fail the tests.
package tests

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(run{m})
}

// run removes the binaries the multi-process and Lambda tests built once the tests have run, before
// goleak looks for leftover goroutines.
type run struct{ m *testing.M }

func (r run) Run() int {
	defer removeBuildDir()
	defer removeLambdaBuild()
	defer removeRehearsalDir()
	return r.m.Run()
}
