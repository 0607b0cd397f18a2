package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// CopyToRemote is `command:remote:CopyToRemote`: it copies an asset or an
// archive (a file or a directory, as-is) to the remote host over SFTP.
type CopyToRemote struct{}

// Annotate documents the resource.
func (c *CopyToRemote) Annotate(a infer.Annotator) {
	a.Describe(&c, "Copy an Asset or Archive to a remote host.")
}

// CopyToRemoteArgs are the resource's inputs (and, unchanged, its state).
type CopyToRemoteArgs struct {
	Connection *Connection          `pulumi:"connection"        provider:"secret"`
	Triggers   *[]any               `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Source     types.AssetOrArchive `pulumi:"source"`
	RemotePath string               `pulumi:"remotePath"`
}

// Annotate documents the inputs.
func (c *CopyToRemoteArgs) Annotate(a infer.Annotator) {
	a.Describe(&c.Connection, "The parameters with which to connect to the remote host.")
	a.Describe(&c.Triggers, "Trigger replacements on changes to this input.")
	a.Describe(&c.Source, "An asset or an archive to upload as the source of the copy. It must be a "+
		"`FileAsset`, `StringAsset`, or a `FileArchive`. The item is copied as-is; archives like .tgz "+
		"are not unpacked. Directories are copied recursively, overwriting existing files.")
	a.Describe(&c.RemotePath, "The destination path on the remote host. Missing parent directories "+
		"are created. When it is an existing directory, the source is copied into it.")
}

// CopyToRemoteState is the resource's state.
type CopyToRemoteState struct {
	CopyToRemoteArgs
}

var (
	_ infer.CustomResource[CopyToRemoteArgs, CopyToRemoteState] = (*CopyToRemote)(nil)
	_ infer.CustomCheck[CopyToRemoteArgs]                       = (*CopyToRemote)(nil)
	_ infer.CustomUpdate[CopyToRemoteArgs, CopyToRemoteState]   = (*CopyToRemote)(nil)
)

// Check accepts a path asset, a text asset, or a path archive, and nothing else.
func (*CopyToRemote) Check(ctx context.Context, req infer.CheckRequest,
) (infer.CheckResponse[CopyToRemoteArgs], error) {
	args, failures, err := infer.DefaultCheck[CopyToRemoteArgs](ctx, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[CopyToRemoteArgs]{Inputs: args, Failures: failures}, err
	}
	failures = append(failures, validateSource(args.Source)...)
	return infer.CheckResponse[CopyToRemoteArgs]{Inputs: args, Failures: failures}, nil
}

func validateSource(src types.AssetOrArchive) []p.CheckFailure {
	fail := func(reason string) []p.CheckFailure {
		return []p.CheckFailure{{Property: "source", Reason: reason}}
	}
	switch {
	case src.Asset != nil && src.Archive != nil:
		return fail("source must be either an asset or an archive, not both")
	case src.Asset == nil && src.Archive == nil:
		return fail("source must be an asset or an archive")
	case src.Asset != nil && !src.Asset.IsPath() && !src.Asset.IsText():
		return fail("source asset must be a FileAsset or a StringAsset")
	case src.Archive != nil && !src.Archive.IsPath():
		return fail("source archive must be a FileArchive (a path to a file or a directory)")
	}
	return nil
}

// Create copies the source. A preview copies nothing.
func (*CopyToRemote) Create(ctx context.Context, req infer.CreateRequest[CopyToRemoteArgs],
) (infer.CreateResponse[CopyToRemoteState], error) {
	st := CopyToRemoteState{req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[CopyToRemoteState]{Output: st}, nil
	}
	if err := copyToRemote(ctx, req.Inputs); err != nil {
		return infer.CreateResponse[CopyToRemoteState]{}, err
	}
	id, err := resource.NewUniqueHex("", 8, 0)
	return infer.CreateResponse[CopyToRemoteState]{ID: id, Output: st}, err
}

// Update copies again only when the content or the destination changed.
func (*CopyToRemote) Update(ctx context.Context, req infer.UpdateRequest[CopyToRemoteArgs, CopyToRemoteState],
) (infer.UpdateResponse[CopyToRemoteState], error) {
	st := CopyToRemoteState{req.Inputs}
	if req.DryRun || !needsCopy(req.State.CopyToRemoteArgs, req.Inputs) {
		return infer.UpdateResponse[CopyToRemoteState]{Output: st}, nil
	}
	if err := copyToRemote(ctx, req.Inputs); err != nil {
		return infer.UpdateResponse[CopyToRemoteState]{}, err
	}
	return infer.UpdateResponse[CopyToRemoteState]{Output: st}, nil
}

func sourceHash(src types.AssetOrArchive) string {
	if src.Archive != nil {
		return src.Archive.Hash
	}
	if src.Asset != nil {
		return src.Asset.Hash
	}
	return ""
}

// needsCopy: only a new content hash or a new destination is worth a copy (a
// new connection, e.g. a rotated key, is not).
func needsCopy(old, news CopyToRemoteArgs) bool {
	return old.RemotePath != news.RemotePath || sourceHash(old.Source) != sourceHash(news.Source) ||
		sourceHash(news.Source) == ""
}

func copyToRemote(ctx context.Context, in CopyToRemoteArgs) error {
	client, closeClient, err := in.Connection.Dial(ctx)
	if err != nil {
		return err
	}
	defer closeClient()
	// Each file is written by one ReadFrom, so concurrent writes are safe and
	// keep large artifacts (Kubernetes binaries, image tars) fast on slow links.
	sc, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return fmt.Errorf("starting SFTP on %s (is the sftp subsystem enabled in sshd?): %w", in.Connection.address(), err)
	}
	defer func() { _ = sc.Close() }()
	fsys := sftpFS{sc}

	if a := in.Source.Asset; a != nil && a.IsText() {
		p.GetLogger(ctx).Debugf("copying a text asset to %s", in.RemotePath)
		return explainLost(client, putText(fsys, a.Text, in.RemotePath))
	}
	local := ""
	if in.Source.Asset != nil {
		local = in.Source.Asset.Path
	} else if in.Source.Archive != nil {
		local = in.Source.Archive.Path
	}
	if local == "" {
		return errors.New("source has no path")
	}
	p.GetLogger(ctx).Debugf("copying %s to %s", local, in.RemotePath)
	if err := putPath(fsys, local, in.RemotePath); err != nil {
		return explainLost(client, err)
	}
	return nil
}

// remoteFS is the little of SFTP the copy needs, so tests can use a local
// directory instead.
type remoteFS interface {
	Stat(p string) (fs.FileInfo, error) // os.ErrNotExist when absent
	MkdirAll(p string) error
	Mkdir(p string) error
	Create(p string) (io.WriteCloser, error)
}

type sftpFS struct{ c *sftp.Client }

func (s sftpFS) Stat(p string) (fs.FileInfo, error) { return s.c.Stat(p) }
func (s sftpFS) MkdirAll(p string) error            { return s.c.MkdirAll(p) }
func (s sftpFS) Mkdir(p string) error               { return s.c.Mkdir(p) }
func (s sftpFS) Create(p string) (io.WriteCloser, error) {
	return s.c.Create(p)
}

// stat returns nil, nil when the path does not exist.
func stat(r remoteFS, p string) (fs.FileInfo, error) {
	fi, err := r.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("stat %s: %w", p, err)
	}
	return fi, nil
}

func putText(r remoteFS, text, dest string) error {
	fi, err := stat(r, dest)
	if err != nil {
		return err
	}
	if fi != nil && fi.IsDir() {
		return fmt.Errorf("remote path %s is a directory; a StringAsset needs a file path", dest)
	}
	if err := r.MkdirAll(path.Dir(dest)); err != nil {
		return fmt.Errorf("creating %s: %w", path.Dir(dest), err)
	}
	return writeRemote(r, dest, strings.NewReader(text))
}

// putPath copies a local file or directory:
//
//	source  | dest is a dir   | dest is absent       | dest is a file
//	file    | dest/file       | dest                 | dest (overwritten)
//	dir     | dest/dir/...    | dest/dir/...         | error
//	dir/    | dest/...        | dest/...             | error
func putPath(r remoteFS, local, dest string) error {
	lfi, err := os.Stat(local)
	if err != nil {
		return err
	}
	dfi, err := stat(r, dest)
	if err != nil {
		return err
	}
	if !lfi.IsDir() {
		target := dest
		switch {
		case dfi != nil && dfi.IsDir():
			target = path.Join(dest, filepath.Base(local))
		case dfi == nil:
			if err := r.MkdirAll(path.Dir(dest)); err != nil {
				return fmt.Errorf("creating %s: %w", path.Dir(dest), err)
			}
		}
		return putFile(r, local, target)
	}

	if dfi != nil && !dfi.IsDir() {
		return fmt.Errorf("remote path %s exists and is not a directory", dest)
	}
	if dfi == nil {
		if err := r.MkdirAll(dest); err != nil {
			return fmt.Errorf("creating %s: %w", dest, err)
		}
	}
	root := dest
	if !strings.HasSuffix(local, "/") {
		root = path.Join(dest, filepath.Base(local))
	}
	return fs.WalkDir(os.DirFS(local), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := path.Join(root, filepath.ToSlash(rel))
		if !d.IsDir() {
			return putFile(r, filepath.Join(local, rel), target)
		}
		fi, err := stat(r, target)
		if err != nil {
			return err
		}
		if fi == nil {
			if err := r.Mkdir(target); err != nil {
				return fmt.Errorf("creating %s: %w", target, err)
			}
		} else if !fi.IsDir() {
			return fmt.Errorf("remote path %s exists and is not a directory", target)
		}
		return nil
	})
}

func putFile(r remoteFS, local, dest string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	return writeRemote(r, dest, f)
}

func writeRemote(r remoteFS, dest string, src io.Reader) error {
	w, err := r.Create(dest)
	if err != nil {
		return fmt.Errorf("creating remote file %s: %w", dest, err)
	}
	if _, err := io.Copy(w, src); err != nil {
		_ = w.Close()
		return fmt.Errorf("writing remote file %s: %w", dest, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("closing remote file %s: %w", dest, err)
	}
	return nil
}
