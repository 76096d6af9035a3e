// Package bustest is the conformance suite every bus.Bus implementation
// runs: the in-process bus.Memory and the Redis bus alike.
//
// The suite never relies on synchronous delivery: subscribers collect
// envelopes and each test waits up to Timeout for the ones it expects,
// then checks their order. Every subtest runs in parallel on its own bus
// and its own hub name, so the suite can share one Redis database.
package bustest
