// Package buildinfo holds the version a Herald binary was built as and the
// --version flag every binary answers.
//
// The Makefile stamps the version at link time:
//
//	go build -ldflags "-X github.com/heraldrt/herald/shared/buildinfo.Version=1.2.3" ./local
//
// Unstamped, the version is the module version the go command recorded
// (go install …@v1.2.3), else "dev".
package buildinfo

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Version is the stamped version; empty when the build did not stamp one.
var Version string

// String returns the version: Version when stamped, else the main module's
// version from the build information, else "dev".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// PrintVersion answers the --version flag: when args (the command-line
// arguments after the program name) are exactly "--version" or
// "-version", it writes "name version (go version, os/arch)" and a newline
// to w and returns true; the main then exits. Otherwise it writes nothing
// and returns false.
func PrintVersion(name string, args []string, w io.Writer) bool {
	if len(args) != 1 || (args[0] != "--version" && args[0] != "-version") {
		return false
	}
	fmt.Fprintf(w, "%s %s (%s, %s/%s)\n", name, String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return true
}
