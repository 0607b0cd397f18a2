package shellrun

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestLoggingModes(t *testing.T) {
	cases := []struct {
		mode       *string
		out, errOK bool
	}{
		{nil, true, true},
		{ptr(LogStdoutAndStderr), true, true},
		{ptr(LogStdout), true, false},
		{ptr(LogStderr), false, true},
		{ptr(LogNone), false, false},
	}
	for _, c := range cases {
		name := "unset"
		if c.mode != nil {
			name = *c.mode
		}
		t.Run(name, func(t *testing.T) {
			var logged []string
			capt := NewCapture(c.mode, func(l string) { logged = append(logged, l) })
			fmt.Fprint(capt.Stdout(), "out1\nout2\n")
			fmt.Fprint(capt.Stderr(), "err1\n")
			capt.Flush()
			var want []string
			if c.out {
				want = append(want, "out1", "out2")
			}
			if c.errOK {
				want = append(want, "err1")
			}
			if strings.Join(logged, "|") != strings.Join(want, "|") {
				t.Errorf("logged %q, want %q", logged, want)
			}
			// Outputs are captured whatever the mode.
			so, se := capt.Outputs()
			if so != "out1\nout2" || se != "err1" {
				t.Errorf("outputs %q %q", so, se)
			}
		})
	}
}

func TestCaptureLinesAcrossWritesAndLongLines(t *testing.T) {
	var logged []string
	capt := NewCapture(nil, func(l string) { logged = append(logged, l) })
	w := capt.Stdout()
	fmt.Fprint(w, "par")
	fmt.Fprint(w, "tial\r\nnext")
	long := strings.Repeat("x", 1<<20) // longer than a bufio.Scanner token
	fmt.Fprint(w, "\n"+long+"\nno newline at end")
	capt.Flush()
	if len(logged) != 4 || logged[0] != "partial" || logged[1] != "next" || logged[2] != long ||
		logged[3] != "no newline at end" {
		t.Fatalf("got %d lines: %.40q", len(logged), logged)
	}
}

func TestOutputsTrimOneNewline(t *testing.T) {
	capt := NewCapture(ptr(LogNone), nil)
	fmt.Fprint(capt.Stdout(), "a\n\n")
	so, se := capt.Outputs()
	if so != "a\n" || se != "" {
		t.Fatalf("%q %q", so, se)
	}
}

func TestCaptureConcurrentWriters(t *testing.T) {
	capt := NewCapture(nil, func(string) {})
	var wg sync.WaitGroup
	for _, w := range []io.Writer{capt.Stdout(), capt.Stderr()} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				fmt.Fprintf(w, "line %d\n", i)
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(capt.Combined(), "\n"); n != 2000 {
		t.Fatalf("combined has %d lines", n)
	}
}

func TestRunErrorCarriesCommandAndOutput(t *testing.T) {
	base := errors.New("Process exited with status 3")
	err := error(&RunError{Err: base, Command: "false --flag", Output: "boom on stderr\n"})
	msg := err.Error()
	for _, want := range []string{"status 3", `"false --flag"`, "boom on stderr"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if !errors.Is(err, base) {
		t.Error("RunError does not unwrap")
	}
}

func TestPreviousOutputEnv(t *testing.T) {
	if got := PreviousOutputEnv(nil, "o", "e"); len(got) != 2 || got[0] != [2]string{EnvPreviousStdout, "o"} ||
		got[1] != [2]string{EnvPreviousStderr, "e"} {
		t.Errorf("default: %v", got)
	}
	if got := PreviousOutputEnv(ptr(true), "o", ""); len(got) != 1 || got[0][0] != EnvPreviousStdout {
		t.Errorf("empty stderr is not set: %v", got)
	}
	if got := PreviousOutputEnv(ptr(false), "o", "e"); got != nil {
		t.Errorf("disabled: %v", got)
	}
}

func TestCommandFor(t *testing.T) {
	c, u := ptr("create"), ptr("update")
	if got := CommandFor(u, c); got != u {
		t.Error("update wins")
	}
	if got := CommandFor(nil, c); got != c {
		t.Error("create runs again without update")
	}
	if got := CommandFor(nil, nil); got != nil {
		t.Error("nothing to run")
	}
}

func TestSortedEnv(t *testing.T) {
	got := SortedEnv(map[string]string{"B": "2", "A": "1"})
	if len(got) != 2 || got[0] != [2]string{"A", "1"} || got[1] != [2]string{"B", "2"} {
		t.Fatal(got)
	}
}
