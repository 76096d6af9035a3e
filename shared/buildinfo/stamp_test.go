package buildinfo_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Each main answers --version with the version the Makefile stamps
// (VERSION_LDFLAGS) and exits 0.
func TestBinariesPrintStampedVersion(t *testing.T) {
	dir := t.TempDir()
	const stamp = "-X github.com/heraldrt/herald/shared/buildinfo.Version=9.8.7-stamp -X main.version=9.8.7-stamp"
	build := exec.Command("go", "build", "-trimpath", "-ldflags="+stamp, "-o", dir+"/",
		"../../local", "../../gateway", "../../functions/api", "../../functions/negotiate", "../../functions/chathub")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for bin, name := range map[string]string{
		"local": "herald", "gateway": "herald-gateway",
		"api": "herald-api", "negotiate": "herald-negotiate", "chathub": "herald-chathub",
	} {
		out, err := exec.Command(filepath.Join(dir, bin), "--version").Output()
		if err != nil {
			t.Errorf("%s --version: %v", bin, err)
			continue
		}
		if got := string(out); !strings.HasPrefix(got, name+" 9.8.7-stamp") {
			t.Errorf("%s --version = %q, want %q first", bin, got, name+" 9.8.7-stamp")
		}
	}
}
