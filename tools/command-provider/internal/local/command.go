package local

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/kubeadm-ha/command-provider/internal/shellrun"
)

// Command is `command:local:Command`.
type Command struct{}

// Annotate documents the resource.
func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A local command to be executed.")
}

// CommandArgs are the inputs.
type CommandArgs struct {
	Triggers *[]any  `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create   *string `pulumi:"create,optional"`
	Update   *string `pulumi:"update,optional"`
	Delete   *string `pulumi:"delete,optional"`
	ProcessArgs
}

// Annotate documents the lifecycle inputs.
func (c *CommandArgs) Annotate(a infer.Annotator) {
	a.Describe(&c.Triggers, "The resource will be replaced if any of these values change.")
	a.Describe(&c.Create, "The command to run once on resource creation. If an `update` command "+
		"isn't provided, then `create` will also be run when the resource's inputs are modified.")
	a.Describe(&c.Update, "The command to run when the resource is updated. If empty, the create "+
		"command will be executed instead.")
	a.Describe(&c.Delete, "The command to run on resource deletion.")
}

// CommandState is the state: inputs plus the last outputs.
type CommandState struct {
	CommandArgs
	ProcessResult
}

var (
	_ infer.CustomResource[CommandArgs, CommandState] = (*Command)(nil)
	_ infer.CustomUpdate[CommandArgs, CommandState]   = (*Command)(nil)
	_ infer.CustomDelete[CommandState]                = (*Command)(nil)
)

// Create runs `create`; a preview runs nothing.
func (*Command) Create(ctx context.Context, req infer.CreateRequest[CommandArgs],
) (infer.CreateResponse[CommandState], error) {
	st := CommandState{CommandArgs: req.Inputs}
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil {
		return infer.CreateResponse[CommandState]{}, err
	}
	if req.DryRun || req.Inputs.Create == nil {
		return infer.CreateResponse[CommandState]{ID: id, Output: st}, nil
	}
	err = run(ctx, *req.Inputs.Create, st.ProcessArgs, &st.ProcessResult)
	return infer.CreateResponse[CommandState]{ID: id, Output: st}, err
}

// Update runs `update`, or `create` when there is no `update`.
func (*Command) Update(ctx context.Context, req infer.UpdateRequest[CommandArgs, CommandState],
) (infer.UpdateResponse[CommandState], error) {
	st := CommandState{CommandArgs: req.Inputs, ProcessResult: req.State.ProcessResult}
	if req.DryRun {
		return infer.UpdateResponse[CommandState]{Output: st}, nil
	}
	if cmd := shellrun.CommandFor(req.Inputs.Update, req.Inputs.Create); cmd != nil {
		err := run(ctx, *cmd, st.ProcessArgs, &st.ProcessResult)
		return infer.UpdateResponse[CommandState]{Output: st}, err
	}
	return infer.UpdateResponse[CommandState]{Output: st}, nil
}

// Delete runs `delete` with what the state recorded.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandState]) (infer.DeleteResponse, error) {
	st := req.State
	if st.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	return infer.DeleteResponse{}, run(ctx, *st.Delete, st.ProcessArgs, &st.ProcessResult)
}
