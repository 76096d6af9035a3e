//go:build !race

package tests

// raceEnabled: the tests run without -race, and so do the processes they start.
const raceEnabled = false
