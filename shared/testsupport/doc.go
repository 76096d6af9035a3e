// Package testsupport holds what Herald's tests share: polling until a
// condition holds (Eventually, Poll, Until), a buffer for logs and process
// output that is safe for concurrent use (Buffer, NewLogger), a silenced
// go-redis logger (QuietRedis) and the skip of tests that need a server
// under -short (SkipServer).
//
// It is for tests and test harnesses only: nothing outside a _test.go
// file or a test-support package imports it.
package testsupport
