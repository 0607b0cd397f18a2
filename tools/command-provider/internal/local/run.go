package local

import (
	"context"
	"errors"

	"github.com/pulumi/pulumi-go-provider/infer"
)

// Run is the `command:local:run` invoke: it runs a command every time the
// program runs, previews included.
type Run struct{}

// Annotate documents the invoke.
func (r *Run) Annotate(a infer.Annotator) {
	a.Describe(&r, "A local command to be executed. This command will always be run on any preview or "+
		"deployment. Use `local.Command` to avoid duplicating executions.")
}

// RunArgs are the invoke's inputs.
type RunArgs struct {
	Command string `pulumi:"command"`
	ProcessArgs
}

// Annotate documents the command input.
func (r *RunArgs) Annotate(a infer.Annotator) {
	a.Describe(&r.Command, "The command to run.")
}

// RunResult is the invoke's result: its inputs and the outputs.
type RunResult struct {
	RunArgs
	ProcessResult
}

// Invoke runs the command.
func (*Run) Invoke(ctx context.Context, req infer.FunctionRequest[RunArgs]) (infer.FunctionResponse[RunResult], error) {
	if req.Input.Command == "" {
		return infer.FunctionResponse[RunResult]{}, errors.New("command is required")
	}
	res := RunResult{RunArgs: req.Input}
	err := run(ctx, req.Input.Command, req.Input.ProcessArgs, &res.ProcessResult)
	return infer.FunctionResponse[RunResult]{Output: res}, err
}
