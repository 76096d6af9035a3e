// Package tests holds Herald's cross-component end-to-end tests: each test starts a whole
// emulator (app negotiate, REST API and gateway on one listener) on a free port, drives the
// official @microsoft/signalr client through the node driver (internal/jsclient) and calls
// the REST API exactly like the Azure Management SDK (internal/mgmt).
//
// Run with `make test-e2e` or, once `cd tests/js && npm ci` has run,
// `go test -race -count=1 ./tests/...`. Missing node or npm packages fail the tests.
package tests

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
