package remote

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func ptr[T any](v T) *T { return &v }

func fastRetries(t *testing.T) {
	t.Helper()
	first, max := retryFirstDelay, retryMaxDelay
	retryFirstDelay, retryMaxDelay = time.Millisecond, 2*time.Millisecond
	t.Cleanup(func() { retryFirstDelay, retryMaxDelay = first, max })
}

func TestDialErrorLimitCountsToleratedFailures(t *testing.T) {
	fastRetries(t)
	for _, c := range []struct{ limit, attempts int }{{0, 1}, {1, 2}, {3, 4}, {10, 11}} {
		n := 0
		var statuses []string
		_, err := withDialRetries(context.Background(), "Dial", c.limit,
			func(s string) { statuses = append(statuses, s) },
			func() (int, error) { n++; return 0, errors.New("refused") })
		if !errors.Is(err, ErrDialLimit) || n != c.attempts {
			t.Errorf("limit %d: %d attempts (want %d), err %v", c.limit, n, c.attempts, err)
		}
		if len(statuses) != c.limit {
			t.Errorf("limit %d: %d retry messages", c.limit, len(statuses))
		}
		if !strings.Contains(err.Error(), "refused") {
			t.Errorf("the last dial error is lost: %v", err)
		}
	}
}

func TestDialRetriesUntilSuccessAndUnlimited(t *testing.T) {
	fastRetries(t)
	n := 0
	v, err := withDialRetries(context.Background(), "Dial", -1, nil, func() (string, error) {
		n++
		if n < 25 {
			return "", errors.New("not yet")
		}
		return "ok", nil
	})
	if err != nil || v != "ok" || n != 25 {
		t.Fatalf("%q %v after %d", v, err, n)
	}
}

func TestDialRetriesStopWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := withDialRetries(ctx, "Dial", -1, nil, func() (int, error) {
		n++
		cancel()
		return 0, errors.New("down")
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("%v after %d", err, n)
	}
}

func TestDialRefusedPortHonoursLimit(t *testing.T) {
	fastRetries(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	_ = l.Close() // nothing listens there now
	conn := &Connection{Endpoint: Endpoint{
		Host: ptr("127.0.0.1"), Port: ptr(float64(addr.Port)), User: ptr("root"),
		Password: ptr("x"), DialErrorLimit: ptr(2), PerDialTimeout: ptr(2),
	}}
	start := time.Now()
	_, _, err = conn.Dial(context.Background())
	if !errors.Is(err, ErrDialLimit) || !strings.Contains(err.Error(), "after 3 failed attempts") {
		t.Fatalf("%v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
}

func TestBadPrivateKeyDoesNotLeakIt(t *testing.T) {
	e := Endpoint{Host: ptr("h"), PrivateKey: ptr("SECRET-NOT-A-KEY")}
	_, _, err := e.clientConfig()
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("%v", err)
	}
}

func TestEndpointDefaults(t *testing.T) {
	e := Endpoint{Host: ptr("10.0.0.1")}
	if e.user() != "root" || e.address() != "10.0.0.1:22" || e.dialErrorLimit() != 10 ||
		e.perDialTimeout() != 15*time.Second {
		t.Fatal(e.user(), e.address(), e.dialErrorLimit(), e.perDialTimeout())
	}
	e6 := Endpoint{Host: ptr("fd00::1"), Port: ptr(2222.0)}
	if e6.address() != "[fd00::1]:2222" {
		t.Fatal(e6.address())
	}
}

// dirFS is a remoteFS on a local directory, for the copy rules.
type dirFS struct{}

func (dirFS) Stat(p string) (fs.FileInfo, error)      { return os.Stat(p) }
func (dirFS) MkdirAll(p string) error                 { return os.MkdirAll(p, 0o755) }
func (dirFS) Mkdir(p string) error                    { return os.Mkdir(p, 0o755) }
func (dirFS) Create(p string) (io.WriteCloser, error) { return os.Create(p) }

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCopyRules(t *testing.T) {
	src := t.TempDir()
	write(t, src+"/f.txt", "file")
	write(t, src+"/d/a.txt", "a")
	write(t, src+"/d/sub/b.txt", "b")

	dst := t.TempDir()
	// file -> absent path (parents created)
	if err := putPath(dirFS{}, src+"/f.txt", dst+"/x/y/renamed.txt"); err != nil || read(t, dst+"/x/y/renamed.txt") != "file" {
		t.Fatal(err)
	}
	// file -> existing dir: copied into it
	if err := putPath(dirFS{}, src+"/f.txt", dst+"/x"); err != nil || read(t, dst+"/x/f.txt") != "file" {
		t.Fatal(err)
	}
	// file -> existing file: overwritten
	write(t, dst+"/over.txt", "old old old")
	if err := putPath(dirFS{}, src+"/f.txt", dst+"/over.txt"); err != nil || read(t, dst+"/over.txt") != "file" {
		t.Fatal(err)
	}
	// dir -> absent: dest/dir/...
	if err := putPath(dirFS{}, src+"/d", dst+"/new"); err != nil || read(t, dst+"/new/d/sub/b.txt") != "b" {
		t.Fatal(err)
	}
	// dir/ -> existing dir: contents into it
	if err := putPath(dirFS{}, src+"/d/", dst+"/x"); err != nil || read(t, dst+"/x/sub/b.txt") != "b" ||
		read(t, dst+"/x/a.txt") != "a" {
		t.Fatal(err)
	}
	// dir again: overwrites, no error on existing dirs
	if err := putPath(dirFS{}, src+"/d", dst+"/new"); err != nil {
		t.Fatal(err)
	}
	// dir -> existing file: error
	if err := putPath(dirFS{}, src+"/d", dst+"/over.txt"); err == nil {
		t.Fatal("a directory onto a file must fail")
	}
	// text -> file path
	if err := putText(dirFS{}, "hello", dst+"/t/text.txt"); err != nil || read(t, dst+"/t/text.txt") != "hello" {
		t.Fatal(err)
	}
	// text -> directory: error
	if err := putText(dirFS{}, "hello", dst+"/t"); err == nil {
		t.Fatal("a text asset onto a directory must fail")
	}
}

func TestValidateSource(t *testing.T) {
	file, _ := resource.NewPathAsset("/etc/hostname")
	text, _ := resource.NewTextAsset("x")
	uri, _ := resource.NewURIAsset("https://example.invalid/x")
	dir, _ := resource.NewPathArchive("/etc/ssh")
	for _, c := range []struct {
		src types.AssetOrArchive
		ok  bool
	}{
		{types.AssetOrArchive{Asset: file}, true},
		{types.AssetOrArchive{Asset: text}, true},
		{types.AssetOrArchive{Archive: dir}, true},
		{types.AssetOrArchive{Asset: uri}, false},
		{types.AssetOrArchive{}, false},
		{types.AssetOrArchive{Asset: file, Archive: dir}, false},
	} {
		if got := len(validateSource(c.src)) == 0; got != c.ok {
			t.Errorf("%+v: valid=%v", c.src, got)
		}
	}
}

func TestNeedsCopy(t *testing.T) {
	a := CopyToRemoteArgs{RemotePath: "/x", Source: types.AssetOrArchive{Asset: &resource.Asset{Path: "f", Hash: "h1"}}}
	b := a
	b.Connection = &Connection{Endpoint: Endpoint{Host: ptr("other")}}
	if needsCopy(a, b) {
		t.Error("a connection change alone must not copy again")
	}
	c := a
	c.Source = types.AssetOrArchive{Asset: &resource.Asset{Path: "f", Hash: "h2"}}
	if !needsCopy(a, c) {
		t.Error("new content must copy")
	}
	d := a
	d.RemotePath = "/y"
	if !needsCopy(a, d) {
		t.Error("new destination must copy")
	}
}
