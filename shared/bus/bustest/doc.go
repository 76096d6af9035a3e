// Package bustest is the conformance suite every bus.Bus implementation
// runs: the in-process bus.Memory and the Redis bus alike.
//
// The suite never relies on synchronous delivery: subscribers collect
// envelopes and each test waits up to Timeout for the ones it expects,
// then checks their order. Every test runs twice, on one node and across
// two nodes of one deployment (see Run). Every subtest runs in parallel on
// its own deployment and its own hub name, so the suite can share one Redis
// database.
//
// A node only has to deliver the envelopes of hubs in which it holds a
// registered connection (see bus.Subscriber), so before a subscriber
// expects anything its node registers an anonymous watcher connection in the
// test's hub; no test's assertions involve that connection.
//
// The nodes must use the default bus.GroupLimits.
package bustest
