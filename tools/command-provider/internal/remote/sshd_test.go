package remote

// Tests against a real OpenSSH sshd started on 127.0.0.1 on a free port with
// a throw-away host key and authorized_keys. Without /usr/sbin/sshd they are
// skipped, unless KHA_REQUIRE_SSHD=1 (test.sh sets it) makes that a failure.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"

	"github.com/kubeadm-ha/command-provider/internal/shellrun"
)

const sshdPath = "/usr/sbin/sshd"

type testSSHD struct {
	port       int
	user       string
	privateKey string // PEM, OpenSSH format
	hostKey    string // authorized_keys line of the host key
	rsaHostKey string // the same for its second, RSA, host key
	dir        string
}

var (
	sshdOnce sync.Once
	sshdInst *testSSHD
	sshdErr  error
	sshdCmd  *exec.Cmd
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sshdCmd != nil && sshdCmd.Process != nil {
		_ = sshdCmd.Process.Kill() // only the sshd this test started, by its PID
		_ = sshdCmd.Wait()
	}
	if sshdInst != nil {
		_ = os.RemoveAll(sshdInst.dir)
	}
	os.Exit(code)
}

// needSSHD returns the shared test sshd, starting it on first use.
func needSSHD(t *testing.T) *testSSHD {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		if os.Getenv("KHA_REQUIRE_SSHD") == "1" {
			t.Fatalf("%s is missing (apt-get install openssh-server)", sshdPath)
		}
		t.Skipf("%s is missing", sshdPath)
	}
	sshdOnce.Do(func() { sshdInst, sshdErr = startSSHD() })
	if sshdErr != nil {
		t.Fatal(sshdErr)
	}
	return sshdInst
}

func marshalPrivate(k ed25519.PrivateKey) (string, error) {
	block, err := ssh.MarshalPrivateKey(k, "")
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(block)), nil
}

func startSSHD() (*testSSHD, error) {
	dir, err := os.MkdirTemp("", "kha-cmd-sshd-")
	if err != nil {
		return nil, err
	}
	// The host key and the client key are generated here, in memory.
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostPEM, err := marshalPrivate(hostPriv)
	if err != nil {
		return nil, err
	}
	hostPub, _ := ssh.NewPublicKey(hostPriv.Public())
	clientPub, clientPriv, _ := ed25519.GenerateKey(rand.Reader)
	clientPEM, err := marshalPrivate(clientPriv)
	if err != nil {
		return nil, err
	}
	sshClientPub, _ := ssh.NewPublicKey(clientPub)
	if err := os.WriteFile(filepath.Join(dir, "host_ed25519"), []byte(hostPEM), 0o600); err != nil {
		return nil, err
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	rsaBlock, err := ssh.MarshalPrivateKey(rsaKey, "")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "host_rsa"), pem.EncodeToMemory(rsaBlock), 0o600); err != nil {
		return nil, err
	}
	rsaPub, _ := ssh.NewPublicKey(&rsaKey.PublicKey)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(sshClientPub), 0o600); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	sftpServer := "/usr/lib/openssh/sftp-server"
	logLevel := "ERROR"
	if os.Getenv("KHA_SSHD_DEBUG") != "" {
		logLevel = "DEBUG2"
	}
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/host_ed25519
HostKey %s/host_rsa
AuthorizedKeysFile %s/authorized_keys
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AcceptEnv KHA_ACCEPTED_* PULUMI_COMMAND_*
Subsystem sftp %s
LogLevel %s
`, port, dir, dir, dir, sftpServer, logLevel)
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	// sshd refuses to start without its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, err
	}
	var log bytes.Buffer
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	cmd.Stdout, cmd.Stderr = &log, &log
	if os.Getenv("KHA_SSHD_DEBUG") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sshdCmd = cmd
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			_ = c.Close()
			return &testSSHD{port: port, user: u.Username, privateKey: clientPEM,
				hostKey:    strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostPub))),
				rsaHostKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(rsaPub))), dir: dir}, nil
		}
	}
	return nil, fmt.Errorf("sshd did not listen on %d: %s", port, log.String())
}

func (s *testSSHD) conn() *Connection {
	return &Connection{Endpoint: Endpoint{
		Host: ptr("127.0.0.1"), Port: ptr(float64(s.port)), User: ptr(s.user),
		PrivateKey: ptr(s.privateKey), HostKey: ptr(s.hostKey),
		DialErrorLimit: ptr(2), PerDialTimeout: ptr(5),
	}}
}

func TestSSHCreateWithStdinAndEnvironment(t *testing.T) {
	s := needSSHD(t)
	args := CommandArgs{
		Connection:  s.conn(),
		Create:      ptr(`read -r line; echo "in=$line env=$KHA_ACCEPTED_X"; echo "to stderr" >&2`),
		Stdin:       ptr("from stdin\n"),
		Environment: map[string]string{"KHA_ACCEPTED_X": "value with spaces"},
		Logging:     ptr(Logging(shellrun.LogNone)),
	}
	resp, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandArgs]{Name: "c", Inputs: args})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID == "" || resp.Output.Stdout != "in=from stdin env=value with spaces" || resp.Output.Stderr != "to stderr" {
		t.Fatalf("id %q stdout %q stderr %q", resp.ID, resp.Output.Stdout, resp.Output.Stderr)
	}
}

func TestSSHPreviewRunsNothing(t *testing.T) {
	s := needSSHD(t)
	marker := filepath.Join(t.TempDir(), "ran")
	args := CommandArgs{Connection: s.conn(), Create: ptr("touch " + marker)}
	resp, err := (&Command{}).Create(context.Background(),
		infer.CreateRequest[CommandArgs]{Name: "c", Inputs: args, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a preview ran the create command")
	}
	_, err = (&Command{}).Update(context.Background(), infer.UpdateRequest[CommandArgs, CommandState]{
		State: resp.Output, Inputs: args, DryRun: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a preview ran the update command")
	}
}

func TestSSHEnvironmentRefusedByServer(t *testing.T) {
	s := needSSHD(t)
	args := CommandArgs{Connection: s.conn(), Create: ptr("true"),
		Environment: map[string]string{"NOT_ACCEPTED": "x"}}
	_, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandArgs]{Name: "c", Inputs: args})
	var refused *EnvRefusedError
	if !errors.As(err, &refused) || refused.Name != "NOT_ACCEPTED" || !strings.Contains(err.Error(), "AcceptEnv") {
		t.Fatalf("%v", err)
	}
}

func TestSSHFailureCarriesCommandAndOutput(t *testing.T) {
	s := needSSHD(t)
	args := CommandArgs{Connection: s.conn(), Create: ptr("echo partial out; echo why it failed >&2; exit 7"),
		Logging: ptr(Logging(shellrun.LogNone))}
	_, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandArgs]{Name: "c", Inputs: args})
	var runErr *shellrun.RunError
	var exit *ssh.ExitError
	if !errors.As(err, &runErr) || !errors.As(err, &exit) || exit.ExitStatus() != 7 {
		t.Fatalf("%v", err)
	}
	for _, want := range []string{"exit 7", "partial out", "why it failed", "status 7"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestSSHUpdateAndDeleteSeePreviousOutput(t *testing.T) {
	s := needSSHD(t)
	dir := t.TempDir()
	args := CommandArgs{
		Connection: s.conn(),
		Create:     ptr("echo first"),
		Update:     ptr(`echo "updated after $PULUMI_COMMAND_STDOUT"`),
		Delete:     ptr(fmt.Sprintf(`echo "$PULUMI_COMMAND_STDOUT" > %s/deleted`, dir)),
	}
	c := &Command{}
	cr, err := c.Create(context.Background(), infer.CreateRequest[CommandArgs]{Name: "c", Inputs: args})
	if err != nil || cr.Output.Stdout != "first" {
		t.Fatal(err, cr.Output.Stdout)
	}
	ur, err := c.Update(context.Background(), infer.UpdateRequest[CommandArgs, CommandState]{State: cr.Output, Inputs: args})
	if err != nil || ur.Output.Stdout != "updated after first" {
		t.Fatal(err, ur.Output.Stdout)
	}
	// Without `update`, an update runs `create` again.
	args2 := args
	args2.Update = nil
	args2.Create = ptr(`echo "create again, had $PULUMI_COMMAND_STDOUT"`)
	ur2, err := c.Update(context.Background(), infer.UpdateRequest[CommandArgs, CommandState]{State: ur.Output, Inputs: args2})
	if err != nil || ur2.Output.Stdout != "create again, had updated after first" {
		t.Fatal(err, ur2.Output.Stdout)
	}
	if _, err := c.Delete(context.Background(), infer.DeleteRequest[CommandState]{State: ur2.Output}); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(read(t, dir+"/deleted")); got != "create again, had updated after first" {
		t.Fatalf("delete saw %q", got)
	}
	// addPreviousOutputInEnv: false hides it.
	args3 := args
	args3.AddPreviousOutputInEnv = ptr(false)
	ur3, err := c.Update(context.Background(), infer.UpdateRequest[CommandArgs, CommandState]{State: cr.Output, Inputs: args3})
	if err != nil || ur3.Output.Stdout != "updated after " {
		t.Fatal(err, ur3.Output.Stdout)
	}
}

func TestSSHWrongHostKeyIsRejected(t *testing.T) {
	s := needSSHD(t)
	fastRetries(t)
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, _ := ssh.NewPublicKey(other)
	conn := s.conn()
	conn.HostKey = ptr(string(ssh.MarshalAuthorizedKey(otherPub)))
	conn.DialErrorLimit = ptr(0)
	_, _, err := conn.Dial(context.Background())
	if err == nil || !strings.Contains(err.Error(), "host key") {
		t.Fatalf("%v", err)
	}
}

func TestSSHRSAHostKeyPinned(t *testing.T) {
	s := needSSHD(t)
	conn := s.conn()
	conn.HostKey = ptr(s.rsaHostKey) // OpenSSH 8.8+ refuses SHA-1 "ssh-rsa" signatures
	args := CommandArgs{Connection: conn, Create: ptr("echo rsa")}
	resp, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandArgs]{Name: "c", Inputs: args})
	if err != nil || resp.Output.Stdout != "rsa" {
		t.Fatal(err, resp.Output.Stdout)
	}
}

func TestSSHThroughProxy(t *testing.T) {
	s := needSSHD(t)
	conn := s.conn()
	proxy := s.conn().Endpoint // the same sshd acts as the bastion
	conn.Proxy = &ProxyConnection{Endpoint: proxy}
	args := CommandArgs{Connection: conn, Create: ptr("echo via bastion")}
	resp, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandArgs]{Name: "c", Inputs: args})
	if err != nil || resp.Output.Stdout != "via bastion" {
		t.Fatal(err, resp.Output.Stdout)
	}
}

func TestSSHCancelAbandonsLongCommand(t *testing.T) {
	s := needSSHD(t)
	grace := cancelGrace
	cancelGrace = 500 * time.Millisecond
	t.Cleanup(func() { cancelGrace = grace })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	// sshd delivers SIGTERM only to sessions of non-root users (it needs
	// privilege separation); as root the connection is dropped after the
	// grace period and the remote sleep ends by itself.
	args := CommandArgs{Connection: s.conn(), Create: ptr("sleep 7")}
	_, err := (&Command{}).Create(ctx, infer.CreateRequest[CommandArgs]{Name: "c", Inputs: args})
	if err == nil || time.Since(start) > 5*time.Second || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
}

func TestSSHCopyToRemote(t *testing.T) {
	s := needSSHD(t)
	src := t.TempDir()
	write(t, src+"/kubeadm.yaml", "kind: InitConfiguration\n")
	write(t, src+"/scripts/a.sh", "echo a\n")
	write(t, src+"/scripts/lib/b.sh", "echo b\n")
	dst := t.TempDir()
	c := &CopyToRemote{}
	ctx := context.Background()

	fileAsset, _ := resource.NewPathAsset(src + "/kubeadm.yaml")
	args := CopyToRemoteArgs{Connection: s.conn(), Source: types.AssetOrArchive{Asset: fileAsset},
		RemotePath: dst + "/etc/kubeadm/kubeadm.yaml"}
	resp, err := c.Create(ctx, infer.CreateRequest[CopyToRemoteArgs]{Name: "f", Inputs: args})
	if err != nil || resp.ID == "" || read(t, dst+"/etc/kubeadm/kubeadm.yaml") != "kind: InitConfiguration\n" {
		t.Fatal(err)
	}

	text, _ := resource.NewTextAsset("token-from-a-secret")
	targs := CopyToRemoteArgs{Connection: s.conn(), Source: types.AssetOrArchive{Asset: text},
		RemotePath: dst + "/secret/token"}
	if _, err := c.Create(ctx, infer.CreateRequest[CopyToRemoteArgs]{Name: "t", Inputs: targs}); err != nil ||
		read(t, dst+"/secret/token") != "token-from-a-secret" {
		t.Fatal(err)
	}

	dirArchive, _ := resource.NewPathArchive(src + "/scripts")
	dargs := CopyToRemoteArgs{Connection: s.conn(), Source: types.AssetOrArchive{Archive: dirArchive},
		RemotePath: dst + "/opt"}
	if _, err := c.Create(ctx, infer.CreateRequest[CopyToRemoteArgs]{Name: "d", Inputs: dargs}); err != nil ||
		read(t, dst+"/opt/scripts/lib/b.sh") != "echo b\n" {
		t.Fatal(err)
	}

	// An update with new content copies again.
	write(t, src+"/kubeadm.yaml", "kind: ClusterConfiguration\n")
	newAsset, _ := resource.NewPathAsset(src + "/kubeadm.yaml")
	if newAsset.Hash == fileAsset.Hash {
		t.Fatal("hash did not change")
	}
	uargs := args
	uargs.Source = types.AssetOrArchive{Asset: newAsset}
	if _, err := c.Update(ctx, infer.UpdateRequest[CopyToRemoteArgs, CopyToRemoteState]{
		State: resp.Output, Inputs: uargs}); err != nil || read(t, dst+"/etc/kubeadm/kubeadm.yaml") != "kind: ClusterConfiguration\n" {
		t.Fatal(err)
	}
}

func TestSSHCopyFile(t *testing.T) {
	s := needSSHD(t)
	src := t.TempDir()
	write(t, src+"/f", "content")
	dst := t.TempDir()
	args := CopyFileArgs{Connection: s.conn(), LocalPath: src + "/f", RemotePath: dst + "/g"}
	if _, err := (&CopyFile{}).Create(context.Background(), infer.CreateRequest[CopyFileArgs]{Name: "f", Inputs: args}); err != nil ||
		read(t, dst+"/g") != "content" {
		t.Fatal(err)
	}
}

func TestSSHCopyLargeFileIntact(t *testing.T) {
	s := needSSHD(t)
	src := t.TempDir() + "/artifact.tar"
	data := make([]byte, 24<<20+12345) // not a multiple of the SFTP packet size
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	asset, err := resource.NewPathAsset(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir() + "/artifacts/artifact.tar"
	_, err = (&CopyToRemote{}).Create(context.Background(), infer.CreateRequest[CopyToRemoteArgs]{Name: "big",
		Inputs: CopyToRemoteArgs{Connection: s.conn(), Source: types.AssetOrArchive{Asset: asset}, RemotePath: dst}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("copy differs (%d vs %d bytes): %v", len(got), len(data), err)
	}
}

// freezableProxy forwards TCP to target until frozen, then silently drops
// everything, like a host that vanished without closing its connections.
type freezableProxy struct {
	l      net.Listener
	mu     sync.Mutex
	frozen bool
}

func newFreezableProxy(t *testing.T, target string) *freezableProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fp := &freezableProxy{l: l}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			t.Cleanup(func() { _ = c.Close(); _ = u.Close() })
			go fp.pipe(c, u)
			go fp.pipe(u, c)
		}
	}()
	return fp
}

func (fp *freezableProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		fp.mu.Lock()
		frozen := fp.frozen
		fp.mu.Unlock()
		if !frozen {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

func (fp *freezableProxy) freeze() { fp.mu.Lock(); fp.frozen = true; fp.mu.Unlock() }

func TestSSHVanishedHostFailsInsteadOfHanging(t *testing.T) {
	s := needSSHD(t)
	interval, maxMissed := keepaliveInterval, keepaliveMaxMissed
	keepaliveInterval, keepaliveMaxMissed = 200*time.Millisecond, 3
	t.Cleanup(func() { keepaliveInterval, keepaliveMaxMissed = interval, maxMissed })

	fp := newFreezableProxy(t, fmt.Sprintf("127.0.0.1:%d", s.port))
	conn := s.conn()
	conn.Port = ptr(float64(fp.l.Addr().(*net.TCPAddr).Port))
	go func() { time.Sleep(time.Second); fp.freeze() }()
	start := time.Now()
	args := CommandArgs{Connection: conn, Create: ptr("echo started; sleep 8")}
	_, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandArgs]{Name: "v", Inputs: args})
	if err == nil || time.Since(start) > 6*time.Second || !strings.Contains(err.Error(), "no answer to keepalives") {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
	t.Logf("failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
}
