package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
)

// Media types of the OCI image specification (v1.1).
const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// Spec is what the image holds and says about itself.
type Spec struct {
	// Binary is the static executable, installed as Entrypoint[0].
	Binary []byte
	// CACerts is a PEM bundle installed at /etc/ssl/certs/ca-certificates.crt.
	CACerts []byte
	// Entrypoint, User ("uid:gid"), Env ("K=V") and ExposedPorts
	// ("8080/tcp") go into the image configuration.
	Entrypoint   []string
	User         string
	Env          []string
	ExposedPorts []string
	// Arch is the GOARCH of Binary (arm64, amd64).
	Arch string
	// Labels are the configuration's labels (org.opencontainers.image.*).
	Labels map[string]string
	// Created stamps the configuration and every file (reproducible builds
	// pass a fixed time, e.g. SOURCE_DATE_EPOCH).
	Created time.Time
	// RefName names the image in index.json (its tag) and RepoTag in the
	// Docker manifest.json, e.g. herald-gateway:1.0.
	RefName, RepoTag string
}

// ImageConfig is the part of the OCI image configuration this package
// writes and tests read back.
type ImageConfig struct {
	Created      string `json:"created"`
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		User         string              `json:"User"`
		Env          []string            `json:"Env"`
		Entrypoint   []string            `json:"Entrypoint"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		Labels       map[string]string   `json:"Labels"`
		WorkingDir   string              `json:"WorkingDir,omitempty"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []map[string]any `json:"history,omitempty"`
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    map[string]string `json:"platform,omitempty"`
}

type blob struct {
	digest string
	data   []byte
}

func newBlob(data []byte) blob {
	sum := sha256.Sum256(data)
	return blob{digest: "sha256:" + hex.EncodeToString(sum[:]), data: data}
}

// rootFS is the one layer: the binary, the CA bundle, /etc/passwd and
// /etc/group naming the non-root user, and an empty /tmp.
func rootFS(s Spec, uid, gid int) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mt := s.Created
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: mt, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, data []byte, owner int) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mt,
			Uid: owner, Gid: owner, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", uid, gid)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", gid)
	entry := s.Entrypoint[0]
	steps := []error{
		dir("etc", 0o755), dir("etc/ssl", 0o755), dir("etc/ssl/certs", 0o755),
		file("etc/ssl/certs/ca-certificates.crt", 0o644, s.CACerts, 0),
		file("etc/passwd", 0o644, []byte(passwd), 0),
		file("etc/group", 0o644, []byte(group), 0),
		dir("home", 0o755),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "home/nonroot/", Mode: 0o700, ModTime: mt, Uid: uid, Gid: gid, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: mt, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if err := file(entry[1:], 0o755, s.Binary, 0); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gz(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the image as a tar archive to w: an OCI image layout
// (oci-layout, index.json, blobs/sha256/...) that `podman load` and
// `docker load` (25 and newer) read, plus the manifest.json of `docker
// save`, which older Docker versions read.
func Write(w io.Writer, s Spec) error {
	var uid, gid int
	if _, err := fmt.Sscanf(s.User, "%d:%d", &uid, &gid); err != nil || uid == 0 {
		return fmt.Errorf("image: user %q is not a non-root uid:gid", s.User)
	}
	if len(s.Entrypoint) == 0 || len(s.Entrypoint[0]) < 2 || s.Entrypoint[0][0] != '/' {
		return fmt.Errorf("image: entrypoint %q is not an absolute path", s.Entrypoint)
	}
	fs, err := rootFS(s, uid, gid)
	if err != nil {
		return fmt.Errorf("image: layer: %w", err)
	}
	zipped, err := gz(fs)
	if err != nil {
		return fmt.Errorf("image: layer: %w", err)
	}
	layer, diffID := newBlob(zipped), newBlob(fs).digest
	var cfg ImageConfig
	cfg.Created = s.Created.UTC().Format(time.RFC3339)
	cfg.Architecture, cfg.OS = s.Arch, "linux"
	cfg.Config.User, cfg.Config.Env, cfg.Config.Entrypoint, cfg.Config.Labels = s.User, s.Env, s.Entrypoint, s.Labels
	cfg.Config.ExposedPorts = map[string]struct{}{}
	for _, p := range s.ExposedPorts {
		cfg.Config.ExposedPorts[p] = struct{}{}
	}
	cfg.RootFS.Type, cfg.RootFS.DiffIDs = "layers", []string{diffID}
	cfg.History = []map[string]any{{"created": cfg.Created, "created_by": "infra/image: static binary, CA certificates, non-root user"}}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	config := newBlob(cfgJSON)
	manifestJSON, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": mediaManifest,
		"config":      descriptor{MediaType: mediaConfig, Digest: config.digest, Size: int64(len(config.data))},
		"layers":      []descriptor{{MediaType: mediaLayer, Digest: layer.digest, Size: int64(len(layer.data))}},
		"annotations": s.Labels,
	})
	if err != nil {
		return err
	}
	manifest := newBlob(manifestJSON)
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": mediaIndex,
		"manifests": []descriptor{{MediaType: mediaManifest, Digest: manifest.digest, Size: int64(len(manifest.data)),
			Annotations: map[string]string{"org.opencontainers.image.ref.name": s.RefName, "io.containerd.image.name": s.RepoTag},
			Platform:    map[string]string{"architecture": s.Arch, "os": "linux"}}},
	})
	if err != nil {
		return err
	}
	dockerManifest, err := json.Marshal([]map[string]any{{
		"Config": blobPath(config.digest), "RepoTags": []string{s.RepoTag}, "Layers": []string{blobPath(layer.digest)},
	}})
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"oci-layout":    []byte(`{"imageLayoutVersion":"1.0.0"}`),
		"index.json":    index,
		"manifest.json": dockerManifest,
	}
	for _, b := range []blob{layer, config, manifest} {
		files[blobPath(b.digest)] = b.data
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: s.Created}); err != nil {
			return err
		}
	}
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(files[n])), ModTime: s.Created}); err != nil {
			return err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return err
		}
	}
	return tw.Close()
}

func blobPath(digest string) string { return "blobs/sha256/" + digest[len("sha256:"):] }
