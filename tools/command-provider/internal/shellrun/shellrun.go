// Package shellrun holds what the local and the remote Command resources share:
// capturing a process's stdout and stderr, streaming them line by line to the
// engine log according to the resource's `logging` mode, the environment
// variables that carry a previous run's output, and the error a failed run
// reports.
//
// This is kubeadm-ha's own implementation of the documented semantics of the
// `command` package (pulumi-command 1.2.1); it shares no code with it.
package shellrun

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Names of the environment variables that carry the previous run's outputs.
const (
	EnvPreviousStdout = "PULUMI_COMMAND_STDOUT"
	EnvPreviousStderr = "PULUMI_COMMAND_STDERR"
)

// The values of the `logging` input.
const (
	LogStdout          = "stdout"
	LogStderr          = "stderr"
	LogStdoutAndStderr = "stdoutAndStderr"
	LogNone            = "none"
)

// LogsStdout tells whether stdout is streamed to the engine for a logging
// mode; an unset mode streams both streams.
func LogsStdout(mode *string) bool {
	return mode == nil || *mode == LogStdout || *mode == LogStdoutAndStderr
}

// LogsStderr tells whether stderr is streamed to the engine.
func LogsStderr(mode *string) bool {
	return mode == nil || *mode == LogStderr || *mode == LogStdoutAndStderr
}

// Capture collects a process's output. Its Stdout and Stderr writers may be
// written concurrently (an SSH session copies the two streams in separate
// goroutines).
type Capture struct {
	mu       sync.Mutex
	stdout   bytes.Buffer
	stderr   bytes.Buffer
	combined bytes.Buffer // both streams interleaved: for the error message only
	logOut   bool
	logErr   bool
	log      func(line string)
	pending  []byte // the unterminated tail of the streamed log
}

// NewCapture returns a Capture that streams complete lines of the streams
// selected by mode to log (log may be nil: nothing is streamed).
func NewCapture(mode *string, log func(line string)) *Capture {
	return &Capture{
		logOut: log != nil && LogsStdout(mode),
		logErr: log != nil && LogsStderr(mode),
		log:    log,
	}
}

type captureWriter struct {
	c        *Capture
	isStderr bool
}

func (w captureWriter) Write(b []byte) (int, error) {
	c := w.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if w.isStderr {
		c.stderr.Write(b)
	} else {
		c.stdout.Write(b)
	}
	c.combined.Write(b)
	if (w.isStderr && c.logErr) || (!w.isStderr && c.logOut) {
		c.pending = append(c.pending, b...)
		for {
			i := bytes.IndexByte(c.pending, '\n')
			if i < 0 {
				break
			}
			c.log(strings.TrimSuffix(string(c.pending[:i]), "\r"))
			c.pending = c.pending[i+1:]
		}
	}
	return len(b), nil
}

// Stdout is the writer to give the process as its standard output.
func (c *Capture) Stdout() io.Writer { return &captureWriter{c: c} }

// Stderr is the writer to give the process as its standard error.
func (c *Capture) Stderr() io.Writer { return &captureWriter{c: c, isStderr: true} }

// Flush streams a last line that had no newline.
func (c *Capture) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) > 0 && c.log != nil {
		c.log(string(c.pending))
	}
	c.pending = nil
}

// Outputs returns stdout and stderr as the resource's outputs: one trailing
// newline is removed, as the `command` package documents.
func (c *Capture) Outputs() (stdout, stderr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSuffix(c.stdout.String(), "\n"), strings.TrimSuffix(c.stderr.String(), "\n")
}

// Combined is both streams interleaved in arrival order.
func (c *Capture) Combined() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.combined.String()
}

// RunError is returned when a command fails: it names the command and carries
// everything it printed, so the engine shows why it failed.
type RunError struct {
	Err     error
	Command string
	Output  string
}

func (e *RunError) Error() string {
	return fmt.Sprintf("%v: running %q:\n%s", e.Err, e.Command, e.Output)
}

func (e *RunError) Unwrap() error { return e.Err }

// PreviousOutputEnv returns the variables carrying the previous run's output,
// unless add is false. Empty outputs are not set.
func PreviousOutputEnv(add *bool, stdout, stderr string) [][2]string {
	if add != nil && !*add {
		return nil
	}
	var env [][2]string
	if stdout != "" {
		env = append(env, [2]string{EnvPreviousStdout, stdout})
	}
	if stderr != "" {
		env = append(env, [2]string{EnvPreviousStderr, stderr})
	}
	return env
}

// SortedEnv returns the map's entries in key order, so runs are reproducible.
func SortedEnv(m map[string]string) [][2]string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	env := make([][2]string, 0, len(keys))
	for _, k := range keys {
		env = append(env, [2]string{k, m[k]})
	}
	return env
}

// CommandFor picks what an update runs: `update` when set, otherwise `create`
// again; nil means there is nothing to run.
func CommandFor(update, create *string) *string {
	if update != nil {
		return update
	}
	return create
}
