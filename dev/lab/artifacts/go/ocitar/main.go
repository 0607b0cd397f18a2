// Command ocitar writes an OCI image-layout tar (one gzip layer) that
// `ctr -n k8s.io images import` accepts:
//
//	ocitar -root DIR -name REGISTRY/REPO:TAG -o OUT.tar [-entrypoint JSON] [-cmd JSON]
//	       [-env K=V]... [-workdir DIR] [-user UID:GID] [-stopsignal SIG] [-label K=V]...
//
// The layer holds DIR's tree owned by root, every mtime fixed (SOURCE_DATE_EPOCH, default 0),
// entries in lexical order and hard links kept as links, so the same tree gives the same
// digests. index.json carries the full image name in both io.containerd.image.name (what
// containerd's import uses) and org.opencontainers.image.ref.name.
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	mtIndex    = "application/vnd.oci.image.index.v1+json"
	mtManifest = "application/vnd.oci.image.manifest.v1+json"
	mtConfig   = "application/vnd.oci.image.config.v1+json"
	mtLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type blob struct {
	digest string
	data   []byte // nil: read from path
	path   string
	size   int64
}

func main() {
	root := flag.String("root", "", "directory whose tree becomes the layer")
	name := flag.String("name", "", "full image name, e.g. registry.k8s.io/pause:3.10.1")
	out := flag.String("o", "", "output tar")
	entrypoint := flag.String("entrypoint", "", "JSON array")
	cmd := flag.String("cmd", "", "JSON array")
	workdir := flag.String("workdir", "/", "working directory")
	user := flag.String("user", "", "user[:group]")
	stopSignal := flag.String("stopsignal", "", "e.g. SIGQUIT")
	var env, labels multi
	flag.Var(&env, "env", "K=V (repeatable)")
	flag.Var(&labels, "label", "K=V (repeatable)")
	flag.Parse()
	if *root == "" || *name == "" || *out == "" {
		fail(fmt.Errorf("-root, -name and -o are required"))
	}
	epoch := int64(0)
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fail(fmt.Errorf("SOURCE_DATE_EPOCH: %w", err))
		}
		epoch = v
	}
	mtime := time.Unix(epoch, 0).UTC()

	tmp, err := os.MkdirTemp(filepath.Dir(*out), ".ocitar-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)

	layerPath := filepath.Join(tmp, "layer.tar.gz")
	diffID, layerDigest, layerSize, err := writeLayer(*root, layerPath, mtime)
	if err != nil {
		fail(fmt.Errorf("layer: %w", err))
	}

	cfg := map[string]any{}
	if len(env) > 0 {
		cfg["Env"] = []string(env)
	}
	for flagName, v := range map[string]string{"Entrypoint": *entrypoint, "Cmd": *cmd} {
		if v == "" {
			continue
		}
		var arr []string
		if err := json.Unmarshal([]byte(v), &arr); err != nil {
			fail(fmt.Errorf("-%s: %w", strings.ToLower(flagName), err))
		}
		cfg[flagName] = arr
	}
	if *workdir != "" {
		cfg["WorkingDir"] = *workdir
	}
	if *user != "" {
		cfg["User"] = *user
	}
	if *stopSignal != "" {
		cfg["StopSignal"] = *stopSignal
	}
	if len(labels) > 0 {
		m := map[string]string{}
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			m[k] = v
		}
		cfg["Labels"] = m
	}
	created := mtime.Format(time.RFC3339)
	config := map[string]any{
		"created":      created,
		"architecture": "amd64",
		"os":           "linux",
		"config":       cfg,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"history":      []map[string]string{{"created": created, "created_by": "kubeadm-ha lab/artifacts ocitar"}},
	}
	configBytes := mustJSON(config)
	configDesc := descriptor{MediaType: mtConfig, Digest: digestOf(configBytes), Size: int64(len(configBytes))}
	layerDesc := descriptor{MediaType: mtLayer, Digest: layerDigest, Size: layerSize}
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtManifest,
		"config":        configDesc,
		"layers":        []descriptor{layerDesc},
	}
	manifestBytes := mustJSON(manifest)
	index := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtIndex,
		"manifests": []descriptor{{
			MediaType: mtManifest,
			Digest:    digestOf(manifestBytes),
			Size:      int64(len(manifestBytes)),
			Platform:  &platform{Architecture: "amd64", OS: "linux"},
			Annotations: map[string]string{
				"io.containerd.image.name":          *name,
				"org.opencontainers.image.ref.name": *name,
			},
		}},
	}
	blobs := []blob{
		{digest: configDesc.Digest, data: configBytes},
		{digest: layerDigest, path: layerPath, size: layerSize},
		{digest: digestOf(manifestBytes), data: manifestBytes},
	}
	if err := writeLayout(*out, tmp, blobs, mustJSON(index), mtime); err != nil {
		fail(err)
	}
	fmt.Printf("%s %s\n", digestOf(manifestBytes), *name)
}

func writeLayout(out, tmp string, blobs []blob, index []byte, mtime time.Time) error {
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].digest < blobs[j].digest })
	part := filepath.Join(tmp, "image.tar")
	f, err := os.Create(part)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX})
	}
	file := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	if err := dir("blobs/"); err != nil {
		return err
	}
	if err := dir("blobs/sha256/"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, b := range blobs {
		if seen[b.digest] {
			continue
		}
		seen[b.digest] = true
		name := "blobs/sha256/" + strings.TrimPrefix(b.digest, "sha256:")
		if b.data != nil {
			err = file(name, int64(len(b.data)), strings.NewReader(string(b.data)))
		} else {
			var r *os.File
			if r, err = os.Open(b.path); err == nil {
				err = file(name, b.size, r)
				r.Close()
			}
		}
		if err != nil {
			return err
		}
	}
	if err := file("index.json", int64(len(index)), strings.NewReader(string(index))); err != nil {
		return err
	}
	layout := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	if err := file("oci-layout", int64(len(layout)), strings.NewReader(string(layout))); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(part, out)
}

// writeLayer writes root's tree as a gzip tar and returns the uncompressed and compressed digests.
func writeLayer(root, path string, mtime time.Time) (diffID, digest string, size int64, err error) {
	f, err := os.Create(path)
	if err != nil {
		return "", "", 0, err
	}
	defer f.Close()
	compressed := sha256.New()
	counter := &countWriter{}
	gz, err := gzip.NewWriterLevel(io.MultiWriter(f, compressed, counter), gzip.DefaultCompression)
	if err != nil {
		return "", "", 0, err
	}
	uncompressed := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(gz, uncompressed))
	links := map[[2]uint64]string{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, werr error) error {
		if werr != nil {
			return werr
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{
			Name:    filepath.ToSlash(rel),
			Mode:    int64(info.Mode().Perm()),
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		if info.Mode()&fs.ModeSetuid != 0 {
			hdr.Mode |= 0o4000
		}
		if info.Mode()&fs.ModeSetgid != 0 {
			hdr.Mode |= 0o2000
		}
		if info.Mode()&fs.ModeSticky != 0 {
			hdr.Mode |= 0o1000
		}
		switch {
		case info.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		case info.Mode().IsRegular():
			st := info.Sys().(*syscall.Stat_t)
			key := [2]uint64{uint64(st.Dev), st.Ino}
			if first, ok := links[key]; ok && st.Nlink > 1 {
				hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
				break
			}
			links[key] = hdr.Name
			hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
		default:
			return fmt.Errorf("%s: unsupported file type %v", p, info.Mode().Type())
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			r, err := os.Open(p)
			if err != nil {
				return err
			}
			defer r.Close()
			if _, err := io.Copy(tw, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		return "", "", 0, err
	}
	return "sha256:" + hex.EncodeToString(uncompressed.Sum(nil)), "sha256:" + hex.EncodeToString(compressed.Sum(nil)), counter.n, f.Close()
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	return b
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ocitar:", err)
	os.Exit(1)
}
