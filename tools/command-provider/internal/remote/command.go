// Package remote implements the `command:remote:*` resources: commands run over
// SSH and files copied over SFTP.
package remote

import (
	"context"
	"fmt"
	"strings"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"

	"github.com/kubeadm-ha/command-provider/internal/shellrun"
)

// Command is `command:remote:Command`.
type Command struct{}

// Annotate documents the resource.
func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A command to run on a remote host. The connection is established via ssh.")
}

// CommandArgs are the resource's inputs.
type CommandArgs struct {
	Triggers               *[]any            `pulumi:"triggers,optional"   provider:"replaceOnChanges"`
	Create                 *string           `pulumi:"create,optional"`
	Update                 *string           `pulumi:"update,optional"`
	Delete                 *string           `pulumi:"delete,optional"`
	Stdin                  *string           `pulumi:"stdin,optional"`
	Logging                *Logging          `pulumi:"logging,optional"`
	Connection             *Connection       `pulumi:"connection"          provider:"secret"`
	Environment            map[string]string `pulumi:"environment,optional"`
	AddPreviousOutputInEnv *bool             `pulumi:"addPreviousOutputInEnv,optional"`
}

// Annotate documents the inputs.
func (c *CommandArgs) Annotate(a infer.Annotator) {
	a.Describe(&c.Triggers, "The resource will be replaced if any of these values change.")
	a.Describe(&c.Create, "The command to run once on resource creation. If an `update` command "+
		"isn't provided, then `create` will also be run when the resource's inputs are modified.")
	a.Describe(&c.Update, "The command to run when the resource is updated. If empty, the create "+
		"command will be executed instead. PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR hold the "+
		"previous outputs.")
	a.Describe(&c.Delete, "The command to run on resource deletion. PULUMI_COMMAND_STDOUT and "+
		"PULUMI_COMMAND_STDERR hold the outputs of the last create or update.")
	a.Describe(&c.Stdin, "Pass a string to the command's process as standard in")
	a.Describe(&c.Logging, "Which of the command's streams are logged. Outputs are captured "+
		"regardless. Defaults to logging both stdout and stderr.")
	a.Describe(&c.Connection, "The parameters with which to connect to the remote host.")
	a.Describe(&c.Environment, "Additional environment variables available to the command's process. "+
		"This only works if the SSH server accepts these variables via AcceptEnv.")
	a.Describe(&c.AddPreviousOutputInEnv, "If the previous command's stdout and stderr are injected "+
		"into the environment of the next run as PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR. "+
		"Defaults to true.")
}

// CommandState is the resource's state: its inputs and the last outputs.
type CommandState struct {
	CommandArgs
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

// Annotate documents the outputs.
func (c *CommandState) Annotate(a infer.Annotator) {
	a.Describe(&c.Stdout, "The standard output of the command's process")
	a.Describe(&c.Stderr, "The standard error of the command's process")
}

var (
	_ infer.CustomResource[CommandArgs, CommandState] = (*Command)(nil)
	_ infer.CustomUpdate[CommandArgs, CommandState]   = (*Command)(nil)
	_ infer.CustomDelete[CommandState]                = (*Command)(nil)
)

// Create runs `create`. A preview runs nothing.
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
	err = st.run(ctx, *req.Inputs.Create)
	return infer.CreateResponse[CommandState]{ID: id, Output: st}, err
}

// Update runs `update`, or `create` again when there is no `update`. A
// change of `triggers` never gets here: it replaces the resource.
func (*Command) Update(ctx context.Context, req infer.UpdateRequest[CommandArgs, CommandState],
) (infer.UpdateResponse[CommandState], error) {
	st := CommandState{CommandArgs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	if req.DryRun {
		return infer.UpdateResponse[CommandState]{Output: st}, nil
	}
	if cmd := shellrun.CommandFor(req.Inputs.Update, req.Inputs.Create); cmd != nil {
		if err := st.run(ctx, *cmd); err != nil {
			return infer.UpdateResponse[CommandState]{Output: st}, err
		}
	}
	return infer.UpdateResponse[CommandState]{Output: st}, nil
}

// Delete runs `delete` with the inputs and outputs recorded in the state.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandState]) (infer.DeleteResponse, error) {
	st := req.State
	if st.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	return infer.DeleteResponse{}, st.run(ctx, *st.Delete)
}

// run executes cmd on the remote host and, when it succeeds, records its
// output in the state. The previous output is offered to cmd in the
// environment first.
func (st *CommandState) run(ctx context.Context, cmd string) error {
	client, closeClient, err := st.Connection.Dial(ctx)
	if err != nil {
		return err
	}
	defer closeClient()
	logger := p.GetLogger(ctx)
	capture := shellrun.NewCapture(st.Logging.mode(), logger.InfoStatus)
	err = runSession(ctx, client, cmd, sessionInput{
		env:         shellrun.SortedEnv(st.Environment),
		previousEnv: shellrun.PreviousOutputEnv(st.AddPreviousOutputInEnv, st.Stdout, st.Stderr),
		stdin:       st.Stdin,
		warn:        logger.Warning,
	}, capture)
	if err != nil {
		return err
	}
	st.Stdout, st.Stderr = capture.Outputs()
	return nil
}

type sessionInput struct {
	env         [][2]string // must be accepted by the server
	previousEnv [][2]string // set if the server accepts them, else a warning
	stdin       *string
	warn        func(string)
}

// EnvRefusedError is returned when the SSH server refuses an environment
// variable (sshd accepts only the names its AcceptEnv lists).
type EnvRefusedError struct {
	Name string
	Err  error
}

func (e *EnvRefusedError) Error() string {
	return fmt.Sprintf("could not set environment variable %q: %v: the SSH server only accepts the "+
		"variables its AcceptEnv setting lists; alternatively prefix the command with 'VAR=value'", e.Name, e.Err)
}

func (e *EnvRefusedError) Unwrap() error { return e.Err }

// cancelGrace is how long a cancelled command has to exit after SIGTERM
// before the connection is dropped.
var cancelGrace = 3 * time.Second

// runSession runs one command in a new session of client.
func runSession(ctx context.Context, client *ssh.Client, cmd string, in sessionInput, capture *shellrun.Capture) error {
	session, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("opening an SSH session: %w", err)
	}
	defer func() { _ = session.Close() }()

	for _, kv := range in.env {
		if err := session.Setenv(kv[0], kv[1]); err != nil {
			return &EnvRefusedError{Name: kv[0], Err: err}
		}
	}
	for _, kv := range in.previousEnv {
		if err := session.Setenv(kv[0], kv[1]); err != nil && in.warn != nil {
			in.warn((&EnvRefusedError{Name: kv[0], Err: err}).Error())
		}
	}
	if in.stdin != nil && *in.stdin != "" {
		session.Stdin = strings.NewReader(*in.stdin)
	}
	session.Stdout = capture.Stdout()
	session.Stderr = capture.Stderr()

	// When the engine cancels the operation, ask the remote process to stop
	// and drop the connection: the session's Run returns only once the
	// server reports an exit or the transport goes away.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = session.Signal(ssh.SIGTERM)
			select {
			case <-done:
			case <-time.After(cancelGrace):
				_ = session.Close()
				_ = client.Close()
			}
		case <-done:
		}
	}()

	err = session.Run(cmd)
	capture.Flush()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		err = explainLost(client, err)
		return &shellrun.RunError{Err: err, Command: cmd, Output: capture.Combined()}
	}
	return nil
}
