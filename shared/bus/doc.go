// Package bus is the contract between Herald's stateless HTTP functions and
// its gateway nodes: fan-out of messages, group and user membership, presence
// (existence checks) and close commands.
//
// Two implementations stand behind the one contract: [Memory] (this package,
// one process, used by the local emulator and unit tests) and the Redis bus
// (package redisbus). Both run the same conformance suite, bustest.Run.
//
// # Ordering
//
// A call that returned before another call started is applied first, for
// every subscriber: after AddToGroup returns, a Publish to that group reaches
// the connection. Implementations keep this guarantee by handing membership
// changes and messages to subscribers through one ordered stream.
//
// # Handover
//
// A connection may move between gateway nodes (Handover, an optional
// capability): the move and its KindHandover envelope are one step in the
// hub's ordered stream, so every envelope is either before the move (the
// old node's to deliver) or after it (the new node's).
//
// Hub names given to the bus are already normalized (lower-cased, with any
// application prefix applied); the bus never changes them.
package bus
