//go:build race

package tests

// raceEnabled: the tests run with -race, and so do the processes they start.
const raceEnabled = true
