package remote

import (
	"context"
	"fmt"

	"github.com/pkg/sftp"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// CopyFile is the deprecated `command:remote:CopyFile`: one local file to a
// remote path. Any input change replaces it.
type CopyFile struct{}

// Annotate documents the resource.
func (c *CopyFile) Annotate(a infer.Annotator) {
	a.Describe(&c, "Copy a local file to a remote host.")
	a.Deprecate(&c, "This resource is deprecated and will be removed in a future release. "+
		"Please use the `CopyToRemote` resource instead.")
}

// CopyFileArgs are the inputs.
type CopyFileArgs struct {
	Connection *Connection `pulumi:"connection"        provider:"secret"`
	Triggers   *[]any      `pulumi:"triggers,optional"`
	LocalPath  string      `pulumi:"localPath"`
	RemotePath string      `pulumi:"remotePath"`
}

// Annotate documents the inputs.
func (c *CopyFileArgs) Annotate(a infer.Annotator) {
	a.Describe(&c.Connection, "The parameters with which to connect to the remote host.")
	a.Describe(&c.Triggers, "Trigger replacements on changes to this input.")
	a.Describe(&c.LocalPath, "The path of the file to be copied.")
	a.Describe(&c.RemotePath, "The destination path in the remote host.")
}

// CopyFileState is the state.
type CopyFileState struct {
	CopyFileArgs
}

// Create copies the file. Without an Update every change is a replacement.
func (*CopyFile) Create(ctx context.Context, req infer.CreateRequest[CopyFileArgs],
) (infer.CreateResponse[CopyFileState], error) {
	st := CopyFileState{req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[CopyFileState]{Output: st}, nil
	}
	client, closeClient, err := req.Inputs.Connection.Dial(ctx)
	if err != nil {
		return infer.CreateResponse[CopyFileState]{}, err
	}
	defer closeClient()
	sc, err := sftp.NewClient(client)
	if err != nil {
		return infer.CreateResponse[CopyFileState]{}, fmt.Errorf("starting SFTP: %w", err)
	}
	defer func() { _ = sc.Close() }()
	if err := putFile(sftpFS{sc}, req.Inputs.LocalPath, req.Inputs.RemotePath); err != nil {
		return infer.CreateResponse[CopyFileState]{}, err
	}
	id, err := resource.NewUniqueHex("", 8, 0)
	return infer.CreateResponse[CopyFileState]{ID: id, Output: st}, err
}
