// Command image builds the gateway's container image without Docker or a
// base image: an OCI image archive holding the static gateway binary, the
// build machine's CA certificates and a non-root user, on an empty base.
// `make image` runs it; the archive loads with `docker load -i` or `podman
// load -i`. infra/gateway/Dockerfile builds the same image shape with
// Docker (a test compares their entry point, user and port).
//
// A small program of our own rather than ko, buildah or
// go-containerregistry: an image of one layer is a few hundred lines of
// the OCI layout specification, needs no new dependency, no daemon and no
// registry, and is reproducible (every time stamp is --created).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// The image's contract with the template and the Dockerfile.
const (
	// Entrypoint is where the binary lives and what runs.
	Entrypoint = "/herald-gateway"
	// User is the non-root uid:gid (distroless's nonroot).
	User = "65532:65532"
	// Port is the gateway's listen port (HERALD_ADDR) and the exposed one.
	Port = 8080
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	binary := fs.String("binary", "", "the static gateway binary (CGO_ENABLED=0, linux)")
	ca := fs.String("ca", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of CA certificates to install")
	out := fs.String("out", "", "the image archive to write")
	tag := fs.String("tag", "herald-gateway:latest", "repository:tag of the image")
	version := fs.String("version", "dev", "the version (org.opencontainers.image.version)")
	revision := fs.String("revision", "", "the source revision (org.opencontainers.image.revision)")
	source := fs.String("source", "https://github.com/heraldrt/herald", "the source repository (org.opencontainers.image.source)")
	arch := fs.String("arch", "arm64", "GOARCH of the binary")
	created := fs.Int64("created", 0, "creation time, Unix seconds (default SOURCE_DATE_EPOCH, else now)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *binary == "" || *out == "" {
		return fmt.Errorf("--binary and --out are required")
	}
	bin, err := os.ReadFile(*binary)
	if err != nil {
		return err
	}
	certs, err := os.ReadFile(*ca)
	if err != nil {
		return fmt.Errorf("CA certificates: %w (install ca-certificates or pass --ca)", err)
	}
	if !bytes.Contains(certs, []byte("BEGIN CERTIFICATE")) {
		return fmt.Errorf("%s holds no PEM certificate", *ca)
	}
	when := time.Now().UTC().Truncate(time.Second)
	if *created != 0 {
		when = time.Unix(*created, 0).UTC()
	} else if e := os.Getenv("SOURCE_DATE_EPOCH"); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
		}
		when = time.Unix(n, 0).UTC()
	}
	spec := GatewaySpec(bin, certs, *arch, *version, *revision, *source, *tag, when)
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := Write(f, spec); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s, linux/%s): docker load -i %s, or podman load -i %s\n", *out, *tag, *arch, *out, *out)
	return nil
}

// GatewaySpec is the gateway's image: the contract constants, the OCI
// labels and the version.
func GatewaySpec(bin, certs []byte, arch, version, revision, source, tag string, created time.Time) Spec {
	labels := map[string]string{
		"org.opencontainers.image.title":       "herald-gateway",
		"org.opencontainers.image.description": "Herald gateway: holds SignalR client connections (Azure SignalR Serverless-compatible)",
		"org.opencontainers.image.version":     version,
		"org.opencontainers.image.source":      source,
		"org.opencontainers.image.created":     created.Format(time.RFC3339),
	}
	if revision != "" {
		labels["org.opencontainers.image.revision"] = revision
	}
	return Spec{
		Binary: bin, CACerts: certs,
		Entrypoint:   []string{Entrypoint},
		User:         User,
		Env:          []string{"HERALD_ADDR=:" + strconv.Itoa(Port)},
		ExposedPorts: []string{strconv.Itoa(Port) + "/tcp"},
		Arch:         arch, Labels: labels, Created: created,
		RefName: tagOf(tag), RepoTag: tag,
	}
}

// tagOf is the tag part of repository:tag ("latest" without one).
func tagOf(ref string) string {
	for i := len(ref) - 1; i >= 0 && ref[i] != '/'; i-- {
		if ref[i] == ':' {
			return ref[i+1:]
		}
	}
	return "latest"
}
