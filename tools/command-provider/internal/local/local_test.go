package local

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestArgv(t *testing.T) {
	if runtime.GOOS != "windows" {
		if got := argv(nil, "echo hi"); strings.Join(got, "|") != "/bin/sh|-c|echo hi" {
			t.Error(got)
		}
	}
	if got := argv(&[]string{"/bin/bash", "-euc"}, "x"); strings.Join(got, "|") != "/bin/bash|-euc|x" {
		t.Error(got)
	}
}

func TestEnvironLaterWins(t *testing.T) {
	env := environ([]string{"A=base"}, ProcessArgs{Environment: &map[string]string{"A": "mine"}},
		ProcessResult{Stdout: "prev"})
	want := "A=base|A=mine|PULUMI_COMMAND_STDOUT=prev"
	if strings.Join(env, "|") != want {
		t.Fatal(env)
	}
	env = environ(nil, ProcessArgs{AddPreviousOutputInEnv: ptr(false)}, ProcessResult{Stdout: "prev"})
	if len(env) != 0 {
		t.Fatal(env)
	}
}

func TestMatchFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"assets/logos/logo.svg", "src/index.js", "src/secret.js", "top.txt"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := matchFiles(dir, []string{"assets/**", "src/**.js", "!**secret.*"})
	if err != nil || strings.Join(got, ",") != "assets/logos/logo.svg,src/index.js" {
		t.Fatal(got, err)
	}
	got, _ = matchFiles(dir, []string{"*"})
	if strings.Join(got, ",") != "top.txt" {
		t.Fatal("* must not cross /", got)
	}
}

func TestRunStdinDirAndLoggingNone(t *testing.T) {
	dir := t.TempDir()
	var out ProcessResult
	err := run(context.Background(), `cat; pwd >&2`, ProcessArgs{
		Stdin: ptr("piped\n"), Dir: &dir, Logging: ptr(Logging("none")),
	}, &out)
	if err != nil || out.Stdout != "piped" || out.Stderr != dir {
		t.Fatalf("%v %q %q", err, out.Stdout, out.Stderr)
	}
}

func TestRunFailureKeepsPreviousOutputs(t *testing.T) {
	out := ProcessResult{Stdout: "old"}
	err := run(context.Background(), `echo new; exit 1`, ProcessArgs{}, &out)
	if err == nil || !strings.Contains(err.Error(), "new") || out.Stdout != "old" {
		t.Fatalf("%v %q", err, out.Stdout)
	}
}
