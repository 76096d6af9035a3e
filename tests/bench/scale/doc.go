// Package scale is make bench-scale: many gateway processes (the shipped
// gateway binary) and one functions process on one Redis server, or on a
// 3-master Redis Cluster, driven with up to 100,000 concurrent WebSocket
// connections by several load-driver processes, each from its own
// 127.0.0.x source address and under its own file limit. It reports the
// connection setup rate, idle memory per 1,000 connections (the gateways'
// RSS and Redis used_memory apart), broadcast fan-out to every connection,
// group and user sends at that scale, and delivery latency at a fixed
// offered rate, with the CPU time of each kind of process read from
// /proc (docs/bench-scale.md).
//
// A load driver is this package's test binary started again with
// DriverEnv set: TestMain hands it to RunDriver. The harness itself is in
// the _test files; only TestScaleSmoke runs in go test ./... (a few
// hundred connections), the full run needs -scale (make bench-scale).
package scale
