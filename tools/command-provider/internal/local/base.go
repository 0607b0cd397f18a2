// Package local implements `command:local:Command` and the `command:local:run`
// invoke: commands run on the machine that runs the Pulumi engine.
package local

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"runtime"
	"strings"

	"github.com/gobwas/glob"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/kubeadm-ha/command-provider/internal/shellrun"
)

// ProcessArgs are the inputs shared by the resource and the invoke.
type ProcessArgs struct {
	Stdin                  *string            `pulumi:"stdin,optional"`
	Logging                *Logging           `pulumi:"logging,optional"`
	Interpreter            *[]string          `pulumi:"interpreter,optional"`
	Dir                    *string            `pulumi:"dir,optional"`
	Environment            *map[string]string `pulumi:"environment,optional"`
	AssetPaths             *[]string          `pulumi:"assetPaths,optional"`
	ArchivePaths           *[]string          `pulumi:"archivePaths,optional"`
	AddPreviousOutputInEnv *bool              `pulumi:"addPreviousOutputInEnv,optional"`
}

// Annotate documents the shared inputs.
func (c *ProcessArgs) Annotate(a infer.Annotator) {
	a.Describe(&c.Stdin, "Pass a string to the command's process as standard in")
	a.Describe(&c.Logging, "Which of the command's streams are logged. Outputs are captured "+
		"regardless. Defaults to logging both stdout and stderr.")
	a.Describe(&c.Interpreter, "The program and arguments to run the command. "+
		"On Linux and macOS, defaults to: `[\"/bin/sh\", \"-c\"]`. On Windows, defaults to: `[\"cmd\", \"/C\"]`")
	a.Describe(&c.Dir, "The directory from which to run the command from. If `dir` does not exist, then "+
		"`Command` will fail.")
	a.Describe(&c.Environment, "Additional environment variables available to the command's process.")
	a.Describe(&c.AssetPaths, "A list of path globs to read after the command completes "+
		"(relative to `dir`; `!` excludes; `**` crosses directories).")
	a.Describe(&c.ArchivePaths, "A list of path globs to return as a single archive asset after the "+
		"command completes.")
	a.Describe(&c.AddPreviousOutputInEnv, "If the previous command's stdout and stderr are injected "+
		"into the environment of the next run as PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR. "+
		"Defaults to true.")
}

// ProcessResult is what a run produces.
type ProcessResult struct {
	Stdout  string                            `pulumi:"stdout"`
	Stderr  string                            `pulumi:"stderr"`
	Assets  *map[string]*types.AssetOrArchive `pulumi:"assets,optional"`
	Archive *resource.Archive                 `pulumi:"archive,optional"`
}

// Annotate documents the outputs.
func (c *ProcessResult) Annotate(a infer.Annotator) {
	a.Describe(&c.Stdout, "The standard output of the command's process")
	a.Describe(&c.Stderr, "The standard error of the command's process")
	a.Describe(&c.Assets, "A map of assets found after running the command. "+
		"The key is the relative path from the command dir")
	a.Describe(&c.Archive, "An archive asset containing files found after running the command.")
}

// argv returns the process to start for command.
func argv(interpreter *[]string, command string) []string {
	var args []string
	if interpreter != nil && len(*interpreter) > 0 {
		args = append(args, *interpreter...)
	} else if runtime.GOOS == "windows" {
		args = []string{"cmd", "/C"}
	} else {
		args = []string{"/bin/sh", "-c"}
	}
	return append(args, command)
}

// environ is the provider's environment plus `environment`, plus the
// previous output unless disabled. Later entries win.
func environ(base []string, in ProcessArgs, prev ProcessResult) []string {
	env := append([]string{}, base...)
	if in.Environment != nil {
		for _, kv := range shellrun.SortedEnv(*in.Environment) {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	for _, kv := range shellrun.PreviousOutputEnv(in.AddPreviousOutputInEnv, prev.Stdout, prev.Stderr) {
		env = append(env, kv[0]+"="+kv[1])
	}
	return env
}

// run executes command; on success it replaces *out with the new outputs,
// whose previous values were offered to the command in its environment.
func run(ctx context.Context, command string, in ProcessArgs, out *ProcessResult) error {
	args := argv(in.Interpreter, command)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...) //nolint:gosec // running commands is the point
	if in.Dir != nil {
		cmd.Dir = *in.Dir
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		cmd.Dir = wd
	}
	cmd.Env = environ(os.Environ(), in, *out)
	if in.Stdin != nil && *in.Stdin != "" {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}
	capture := shellrun.NewCapture(in.Logging.mode(), p.GetLogger(ctx).InfoStatus)
	cmd.Stdout = capture.Stdout()
	cmd.Stderr = capture.Stderr()
	err := cmd.Run()
	capture.Flush()
	if err != nil {
		return &shellrun.RunError{Err: err, Command: command, Output: capture.Combined()}
	}

	result := ProcessResult{}
	result.Stdout, result.Stderr = capture.Outputs()
	if in.AssetPaths != nil {
		found, err := matchFiles(cmd.Dir, *in.AssetPaths)
		if err != nil {
			return err
		}
		assets := map[string]*types.AssetOrArchive{}
		for _, rel := range found {
			a, err := resource.NewPathAsset(path.Join(cmd.Dir, rel))
			if err != nil {
				return err
			}
			assets[rel] = &types.AssetOrArchive{Asset: a}
		}
		result.Assets = &assets
	}
	if in.ArchivePaths != nil {
		found, err := matchFiles(cmd.Dir, *in.ArchivePaths)
		if err != nil {
			return err
		}
		members := map[string]any{}
		for _, rel := range found {
			a, err := resource.NewPathAsset(path.Join(cmd.Dir, rel))
			if err != nil {
				return err
			}
			members[rel] = a
		}
		archive, err := resource.NewAssetArchive(members)
		if err != nil {
			return err
		}
		result.Archive = archive
	}
	*out = result
	return nil
}

// matchFiles lists the files (not directories) under dir whose slash-separated
// relative path the globs select. Globs apply in order; a `!` glob removes
// what earlier ones added.
func matchFiles(dir string, globs []string) ([]string, error) {
	type rule struct {
		g       glob.Glob
		exclude bool
	}
	rules := make([]rule, 0, len(globs))
	for _, pattern := range globs {
		exclude := strings.HasPrefix(pattern, "!")
		g, err := glob.Compile(strings.TrimPrefix(pattern, "!"), '/')
		if err != nil {
			return nil, fmt.Errorf("glob %q: %w", pattern, err)
		}
		rules = append(rules, rule{g, exclude})
	}
	var out []string
	err := fs.WalkDir(os.DirFS(dir), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		selected := false
		for _, r := range rules {
			if r.g.Match(rel) {
				selected = !r.exclude
			}
		}
		if selected {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
