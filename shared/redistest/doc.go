// Package redistest gives tests a real Redis server: the one named by the
// REDIS_URL environment variable, or a throwaway redis-server on a free
// port that the tests start and stop themselves.
//
// A missing redis-server fails the test with an install hint; it never
// skips for that. Under -short (make test-unit) every test that needs
// Redis skips, saying so (SkipShort): that tier starts no server.
//
// Tests that share a server keep apart by key prefix (KeyPrefix).
package redistest
