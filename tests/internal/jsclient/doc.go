// Package jsclient drives the official @microsoft/signalr JavaScript client from Go tests.
//
// [Start] runs tests/js/driver.mjs under node and talks to it with JSON lines: Go writes
// commands (connect, invoke, send, stop) to the driver's stdin and the driver reports what
// the real client saw (connected, message, closed, result, error, log, ...) on stdout.
// Every event is buffered in arrival order; [Driver.Next] and [Driver.Expect] wait for the
// first not-yet-consumed event that matches, so tests never sleep.
//
// [StartClient] runs another pinned client library instead: [AspNetSignalR1] is
// @aspnet/signalr 1.1.4, which negotiates version 0, and [Lines] lists every client
// line of the compatibility matrix (the newest patch of each @microsoft/signalr line
// from 3.1 on), installed under npm aliases with its MessagePack protocol package.
//
// The driver needs node (20 or newer) and the npm packages pinned in tests/js/package.json.
// When either is missing, Start fails the test with an install hint instead of skipping:
// run `make test` or `cd tests/js && npm ci`.
//
// The wire protocol of the driver is described at the top of tests/js/driver.mjs.
package jsclient
