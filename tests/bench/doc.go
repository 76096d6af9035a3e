// Package bench measures Herald across processes over real loopback
// sockets: the benchmarks in this package build the local emulator
// (./local), run it as a child process and drive it from the benchmark
// process with real WebSocket clients and REST calls, so the server's
// memory and CPU can be read from /proc without the load generator in the
// same address space (and so 10,000 client plus 10,000 server sockets fit
// under a 20,000 file-descriptor limit).
//
// The non-test files hold the pieces: Child (the emulator process), the
// /proc readers, Client (negotiate, WebSocket connect, REST send), Pool (many
// connections with one reader goroutine each) and Tally (a delivery counter
// that can be waited on). The benchmarks live in the _test files; see
// README.md. Nothing here runs without -bench.
package bench
