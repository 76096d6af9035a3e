// Package uring measures whether batching a fan-out's writes through
// io_uring lowers the CPU per delivery below one write(2) per connection,
// the way the gateway (and the raw floor in tests/bench/floor) writes a
// broadcast at a low message rate.
//
// BenchmarkFanoutWrites (Linux only) connects two sets of 1,000 loopback
// TCP socket pairs. In one the client sides are read as data arrives, by
// one reader goroutine each ("awake": a delivery may wake a reader); in the
// other they sit in no epoll set and are read after each window
// ("parked": a delivery wakes nobody, closer to clients on other
// machines). From one goroutine locked to its OS thread it writes a
// 101-byte WebSocket frame carrying a SignalR JSON invocation to all 1,000
// server sides per message, in windows of 20 messages at 20 messages/s and
// of 200 messages back to back. Each window uses one way of writing, the
// order rotated round by round in the same run:
//
//   - conn: net.Conn.Write per connection (the raw floor; the gateway's
//     per-connection writers);
//   - write: write(2) per socket on its file descriptor (the gateway's
//     flush workers);
//   - uring-1024, uring-256, uring-64: one io_uring_enter per 1,024, 256
//     or 64 sockets, submitting IORING_OP_SEND entries and reaping their
//     completions (Ring, RingWrites);
//   - uring-256-fixed: as uring-256 with the sockets registered
//     (IOSQE_FIXED_FILE).
//
// The measure is the writer thread's CPU (getrusage RUSAGE_THREAD, user
// plus system) over its fan-out calls, per delivery; beside it the whole
// process's CPU, and the ksoftirqd threads' CPU until the messages arrived,
// since the kernel may finish a batch's loopback receive work there instead
// of in the writer's context. Medians and ranges over the windows, and the
// median of each window's ratio to the write window of the same round.
// Every client must receive every byte, and a send whose completion is
// short or failed with EAGAIN is finished with a write.
//
// Run it with (about 50 s a round on a 2-core machine):
//
//	go test -run='^$' -bench=FanoutWrites -benchtime=5x ./tests/bench/uring
//
// -args -modes=write,uring-256 -readers=parked narrows it. docs/performance.md
// ("Batched writes (io_uring)") holds the figures. The package is not in
// make bench.
package uring
