package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readTar returns the regular files of a tar archive by name.
func readTar(t *testing.T, r io.Reader) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = b
		}
	}
}

type desc struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
}

// blobOf returns a blob after checking its digest and size.
func blobOf(t *testing.T, files map[string][]byte, d desc) []byte {
	t.Helper()
	b, ok := files[blobPath(d.Digest)]
	sum := sha256.Sum256(b)
	if !ok || "sha256:"+hex.EncodeToString(sum[:]) != d.Digest || int64(len(b)) != d.Size {
		t.Fatalf("blob %s: missing or its digest or size differs", d.Digest)
	}
	return b
}

// loadImage reads an archive back the way an OCI loader does: index, manifest, config,
// layer, each checked against its digest.
func loadImage(t *testing.T, archive []byte) (ImageConfig, map[string][]byte, []byte) {
	t.Helper()
	files := readTar(t, bytes.NewReader(archive))
	if string(files["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("oci-layout %q", files["oci-layout"])
	}
	var index struct{ Manifests []desc }
	if err := json.Unmarshal(files["index.json"], &index); err != nil || len(index.Manifests) != 1 || index.Manifests[0].MediaType != mediaManifest {
		t.Fatalf("index.json %s: %v", files["index.json"], err)
	}
	var manifest struct {
		Config desc
		Layers []desc
	}
	if err := json.Unmarshal(blobOf(t, files, index.Manifests[0]), &manifest); err != nil || len(manifest.Layers) != 1 {
		t.Fatalf("manifest: %v", err)
	}
	var cfg ImageConfig
	if err := json.Unmarshal(blobOf(t, files, manifest.Config), &cfg); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(blobOf(t, files, manifest.Layers[0])))
	if err != nil {
		t.Fatal(err)
	}
	layer, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(layer)
	if len(cfg.RootFS.DiffIDs) != 1 || cfg.RootFS.DiffIDs[0] != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Fatalf("diff_ids %v do not name the uncompressed layer", cfg.RootFS.DiffIDs)
	}
	var docker []struct {
		Config           string
		RepoTags, Layers []string
	}
	if err := json.Unmarshal(files["manifest.json"], &docker); err != nil || len(docker) != 1 ||
		docker[0].Config != blobPath(manifest.Config.Digest) || docker[0].Layers[0] != blobPath(manifest.Layers[0].Digest) {
		t.Fatalf("docker manifest.json %s: %v", files["manifest.json"], err)
	}
	return cfg, readTar(t, bytes.NewReader(layer)), files["index.json"]
}

// The gateway built with a version stamp prints it; the image holds that binary with the
// CA certificates and a non-root user, and its configuration says entry point, user,
// port and the OCI labels; the archive is byte-for-byte reproducible.
func TestGatewayImage(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "herald-gateway")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.version=9.8.7-test", "-o", bin, "../../gateway")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "herald-gateway 9.8.7-test" {
		t.Fatalf("--version: %q %v", out, err)
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	certs := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	created := time.Unix(1_700_000_000, 0).UTC()
	var a, b bytes.Buffer
	for _, w := range []*bytes.Buffer{&a, &b} {
		if err := Write(w, GatewaySpec(binary, certs, "amd64", "9.8.7-test", "abc123", "https://example.com/herald", "registry.example/herald-gateway:9.8.7", created)); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two builds of the same input differ: the archive is not reproducible")
	}
	cfg, fs, index := loadImage(t, a.Bytes())
	if !bytes.Equal(fs[Entrypoint[1:]], binary) || !bytes.Equal(fs["etc/ssl/certs/ca-certificates.crt"], certs) ||
		!strings.Contains(string(fs["etc/passwd"]), "nonroot:x:65532:65532:") {
		t.Errorf("layer files: %v", keys(fs))
	}
	c := cfg.Config
	if strings.Join(c.Entrypoint, " ") != Entrypoint || c.User != User || cfg.Architecture != "amd64" || cfg.OS != "linux" {
		t.Errorf("config %+v", cfg)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok || strings.Join(c.Env, ",") != "HERALD_ADDR=:8080" {
		t.Errorf("port: exposed %v, env %v", c.ExposedPorts, c.Env)
	}
	for k, v := range map[string]string{
		"org.opencontainers.image.version": "9.8.7-test", "org.opencontainers.image.revision": "abc123",
		"org.opencontainers.image.source": "https://example.com/herald", "org.opencontainers.image.title": "herald-gateway",
		"org.opencontainers.image.created": "2023-11-14T22:13:20Z",
	} {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}
	if !strings.Contains(string(index), `"org.opencontainers.image.ref.name":"9.8.7"`) {
		t.Errorf("index.json does not name the tag: %s", index)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// dockerfile reads the instructions of the runtime stage of infra/gateway/Dockerfile.
func dockerfile(t *testing.T) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile("../gateway/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	stages := strings.Split(text, "\nFROM ")
	final := stages[len(stages)-1]
	out := map[string][]string{}
	for _, line := range strings.Split(final, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		op, arg, _ := strings.Cut(line, " ")
		out[strings.ToUpper(op)] = append(out[strings.ToUpper(op)], strings.TrimSpace(arg))
	}
	return out
}

// Docker users and `make image` get the same entry point, user, port and listen address.
func TestDockerfileMatchesImage(t *testing.T) {
	d := dockerfile(t)
	var entry []string
	if len(d["ENTRYPOINT"]) != 1 || json.Unmarshal([]byte(d["ENTRYPOINT"][0]), &entry) != nil {
		t.Fatalf("ENTRYPOINT %v: want one exec-form entry point", d["ENTRYPOINT"])
	}
	var cfg bytes.Buffer
	if err := Write(&cfg, GatewaySpec([]byte("bin"), []byte("-----BEGIN CERTIFICATE-----"), "arm64", "v", "", "s", "t:1", time.Unix(0, 0))); err != nil {
		t.Fatal(err)
	}
	img, _, _ := loadImage(t, cfg.Bytes())
	if strings.Join(entry, " ") != strings.Join(img.Config.Entrypoint, " ") {
		t.Errorf("Dockerfile ENTRYPOINT %v, image %v", entry, img.Config.Entrypoint)
	}
	copied := regexp.MustCompile(`--from=build \S+ (\S+)`).FindStringSubmatch(strings.Join(d["COPY"], "\n"))
	if copied == nil || copied[1] != img.Config.Entrypoint[0] {
		t.Errorf("Dockerfile COPY %v does not install the binary at %s", d["COPY"], img.Config.Entrypoint[0])
	}
	if strings.Join(d["USER"], ",") != img.Config.User {
		t.Errorf("Dockerfile USER %v, image %s", d["USER"], img.Config.User)
	}
	var exposed []string
	for p := range img.Config.ExposedPorts {
		exposed = append(exposed, strings.TrimSuffix(p, "/tcp"))
	}
	if strings.Join(d["EXPOSE"], ",") != strings.Join(exposed, ",") {
		t.Errorf("Dockerfile EXPOSE %v, image %v", d["EXPOSE"], exposed)
	}
	if strings.Join(d["ENV"], ",") != strings.Join(img.Config.Env, ",") {
		t.Errorf("Dockerfile ENV %v, image %v", d["ENV"], img.Config.Env)
	}
}
