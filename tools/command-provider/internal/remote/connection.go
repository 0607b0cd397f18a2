package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

const (
	defaultUser           = "root"
	defaultPort           = 22
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15
)

// Endpoint is what both the target and the bastion connections hold.
type Endpoint struct {
	User               *string  `pulumi:"user,optional"`
	Password           *string  `pulumi:"password,optional"           provider:"secret"`
	Host               *string  `pulumi:"host"`
	Port               *float64 `pulumi:"port,optional"`
	PrivateKey         *string  `pulumi:"privateKey,optional"         provider:"secret"`
	PrivateKeyPassword *string  `pulumi:"privateKeyPassword,optional" provider:"secret"`
	AgentSocketPath    *string  `pulumi:"agentSocketPath,optional"`
	DialErrorLimit     *int     `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *int     `pulumi:"perDialTimeout,optional"`
	HostKey            *string  `pulumi:"hostKey,optional"`
}

// Connection says how to reach the remote host, optionally through a bastion.
type Connection struct {
	Endpoint
	Proxy *ProxyConnection `pulumi:"proxy,optional"`
}

// ProxyConnection is the bastion (jump host) the target is reached through.
type ProxyConnection struct {
	Endpoint
}

func annotateEndpoint(a infer.Annotator, e *Endpoint, what string) {
	a.Describe(&e.User, "The user that we should use for the connection"+what+".")
	a.SetDefault(&e.User, defaultUser)
	a.Describe(&e.Password, "The password we should use for the connection"+what+".")
	a.Describe(&e.Host, "The address of the "+map[bool]string{true: "bastion host", false: "resource"}[what != ""]+" to connect to.")
	a.Describe(&e.Port, "The port to connect to. Defaults to 22.")
	a.SetDefault(&e.Port, defaultPort)
	a.Describe(&e.PrivateKey, "The contents of an SSH key to use for the connection. "+
		"This takes preference over the password if provided.")
	a.Describe(&e.PrivateKeyPassword, "The password to use in case the private key is encrypted.")
	a.Describe(&e.AgentSocketPath, "SSH Agent socket path. Default to environment variable SSH_AUTH_SOCK if present.")
	a.Describe(&e.DialErrorLimit, "Max allowed errors on trying to dial the remote host. "+
		"-1 set count to unlimited. Default value is 10.")
	a.SetDefault(&e.DialErrorLimit, defaultDialErrorLimit)
	a.Describe(&e.PerDialTimeout, "Max number of seconds for each dial attempt. 0 implies no maximum. "+
		"Default value is 15 seconds.")
	a.SetDefault(&e.PerDialTimeout, defaultPerDialTimeout)
	a.Describe(&e.HostKey, "The expected host key to verify the server's identity. "+
		"If not provided, the host key will be ignored.")
}

// Annotate describes the connection in the schema.
func (c *Connection) Annotate(a infer.Annotator) {
	a.Describe(&c, "Instructions for how to connect to a remote endpoint.")
	annotateEndpoint(a, &c.Endpoint, "")
	a.Describe(&c.Proxy, "The connection settings for the bastion/proxy host.")
}

// Annotate describes the bastion connection in the schema.
func (c *ProxyConnection) Annotate(a infer.Annotator) {
	a.Describe(&c, "Instructions for how to connect to a remote endpoint via a bastion host.")
	annotateEndpoint(a, &c.Endpoint, " to the bastion host")
}

func (e *Endpoint) user() string {
	if e.User == nil || *e.User == "" {
		return defaultUser
	}
	return *e.User
}

func (e *Endpoint) address() string {
	port := defaultPort
	if e.Port != nil {
		port = int(*e.Port)
	}
	host := ""
	if e.Host != nil {
		host = *e.Host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func (e *Endpoint) dialErrorLimit() int {
	if e.DialErrorLimit == nil {
		return defaultDialErrorLimit
	}
	return *e.DialErrorLimit
}

func (e *Endpoint) perDialTimeout() time.Duration {
	if e.PerDialTimeout == nil {
		return defaultPerDialTimeout * time.Second
	}
	return time.Duration(*e.PerDialTimeout) * time.Second
}

// clientConfig builds the SSH client configuration: key, then password (also
// answering keyboard-interactive prompts), then the agent. Without a hostKey
// any host key is accepted, as the `command` package documents.
func (e *Endpoint) clientConfig() (*ssh.ClientConfig, func(), error) {
	cfg := &ssh.ClientConfig{
		User:    e.user(),
		Timeout: e.perDialTimeout(),
	}
	if e.HostKey != nil && *e.HostKey != "" {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*e.HostKey))
		if err != nil {
			return nil, nil, fmt.Errorf("parsing hostKey: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(key)
		cfg.HostKeyAlgorithms = hostKeyAlgorithms(key.Type())
	} else {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // documented behaviour without hostKey
	}

	if e.PrivateKey != nil && *e.PrivateKey != "" {
		var signer ssh.Signer
		var err error
		if e.PrivateKeyPassword != nil && *e.PrivateKeyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*e.PrivateKey), []byte(*e.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*e.PrivateKey))
		}
		if err != nil {
			// Never include the key itself in the message.
			return nil, nil, fmt.Errorf("parsing privateKey: %w", err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if e.Password != nil {
		pw := *e.Password
		cfg.Auth = append(cfg.Auth, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}

	cleanup := func() {}
	sock := ""
	if e.AgentSocketPath != nil {
		sock = *e.AgentSocketPath
	} else {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			if e.AgentSocketPath != nil {
				return nil, nil, fmt.Errorf("connecting to the SSH agent at %s: %w", sock, err)
			}
			// An inherited SSH_AUTH_SOCK that is stale is not the user's doing: skip it.
		} else {
			cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
			cleanup = func() { _ = conn.Close() }
		}
	}
	return cfg, cleanup, nil
}

// hostKeyAlgorithms lists the signature algorithms a host key of this type can
// be verified with (an RSA key signs with rsa-sha2-* as well as ssh-rsa).
func hostKeyAlgorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// Retry schedule between failed dials: 100 ms growing by half each time, at
// most 5 s apart. A variable so that tests can shorten it.
var (
	retryFirstDelay = 100 * time.Millisecond
	retryMaxDelay   = 5 * time.Second
)

// ErrDialLimit marks a dial that gave up after dialErrorLimit failures.
var ErrDialLimit = errors.New("dial error limit reached")

// withDialRetries calls attempt until it succeeds, the context ends, or it has
// failed more than limit times (limit -1: no limit). dialErrorLimit counts the
// errors tolerated, so limit N allows N+1 attempts and 0 allows exactly one.
func withDialRetries[T any](ctx context.Context, what string, limit int, status func(string),
	attempt func() (T, error),
) (T, error) {
	var zero T
	delay := retryFirstDelay
	for failures := 0; ; {
		v, err := attempt()
		if err == nil {
			return v, nil
		}
		failures++
		if limit >= 0 && failures > limit {
			return zero, fmt.Errorf("%s: %w after %d failed attempts: %w", what, ErrDialLimit, failures, err)
		}
		if status != nil {
			lim := "inf"
			if limit >= 0 {
				lim = strconv.Itoa(limit)
			}
			status(fmt.Sprintf("%s %d/%s failed: retrying", what, failures, lim))
		}
		select {
		case <-ctx.Done():
			return zero, fmt.Errorf("%s: %w (last error: %w)", what, ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = delay * 3 / 2
		if delay > retryMaxDelay {
			delay = retryMaxDelay
		}
	}
}

// Dial opens an SSH client to the target, through the bastion when one is set,
// retrying each hop as its dialErrorLimit allows. The returned close function
// releases everything Dial opened.
func (c *Connection) Dial(ctx context.Context) (*ssh.Client, func(), error) {
	if c == nil || c.Host == nil || *c.Host == "" {
		return nil, nil, errors.New("connection.host is required")
	}
	status := func(msg string) { p.GetLogger(ctx).InfoStatus(msg) }
	cfg, cleanupAgent, err := c.clientConfig()
	if err != nil {
		return nil, nil, err
	}
	addr := c.address()

	if c.Proxy == nil {
		client, err := withDialRetries(ctx, "Dial "+addr, c.dialErrorLimit(), status, func() (*ssh.Client, error) {
			return dialDirect(ctx, addr, cfg)
		})
		if err != nil {
			cleanupAgent()
			return nil, nil, err
		}
		stop := watchConnection(client)
		return client, func() { stop(); _ = client.Close(); cleanupAgent() }, nil
	}

	proxyCfg, cleanupProxyAgent, err := c.Proxy.clientConfig()
	if err != nil {
		cleanupAgent()
		return nil, nil, fmt.Errorf("proxy: %w", err)
	}
	cleanupAgents := func() { cleanupAgent(); cleanupProxyAgent() }
	proxyAddr := c.Proxy.address()
	bastion, err := withDialRetries(ctx, "Dial proxy "+proxyAddr, c.Proxy.dialErrorLimit(), status,
		func() (*ssh.Client, error) { return dialDirect(ctx, proxyAddr, proxyCfg) })
	if err != nil {
		cleanupAgents()
		return nil, nil, fmt.Errorf("proxy: %w", err)
	}
	// Reach the target through the bastion, then speak SSH over that channel;
	// a failed handshake retries from a fresh channel.
	client, err := withDialRetries(ctx, "Dial "+addr+" from proxy", c.dialErrorLimit(), status,
		func() (*ssh.Client, error) {
			conn, err := bastion.DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			return handshake(conn, addr, cfg)
		})
	if err != nil {
		_ = bastion.Close()
		cleanupAgents()
		return nil, nil, fmt.Errorf("proxy: %w", err)
	}
	stop := watchConnection(client)
	return client, func() { stop(); _ = client.Close(); _ = bastion.Close(); cleanupAgents() }, nil
}

// Keepalive probing of an open connection: every keepaliveInterval a request
// the server must answer; after keepaliveMaxMissed unanswered intervals the
// host is taken for gone and the connection is closed, so a command on a host
// that vanished fails instead of hanging until TCP gives up (many minutes).
// Variables so that tests can shorten them.
var (
	keepaliveInterval  = 30 * time.Second
	keepaliveMaxMissed = 4
)

// watchConnection probes client until the returned stop function is called.
func watchConnection(client *ssh.Client) (stop func()) {
	done := make(chan struct{})
	interval, maxMissed := keepaliveInterval, keepaliveMaxMissed
	go func() {
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		missed := 0
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
			}
			reply := make(chan error, 1)
			go func() {
				// OpenSSH answers unknown global requests with a failure: still an answer.
				_, _, err := client.SendRequest("keepalive@openssh.com", true, nil)
				reply <- err
			}()
			select {
			case <-done:
				return
			case err := <-reply:
				if err != nil {
					return // the connection is already closed
				}
				missed = 0
			case <-time.After(interval):
				missed++
				if missed >= maxMissed {
					lostConnections.Store(client, time.Duration(maxMissed)*interval)
					_ = client.Close()
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); lostConnections.Delete(client) }) }
}

// lostConnections holds the clients watchConnection gave up on, with how long
// they went unanswered, so errors can say why the command stopped.
var lostConnections sync.Map // *ssh.Client -> time.Duration

// explainLost wraps err when client was closed for not answering keepalives.
func explainLost(client *ssh.Client, err error) error {
	if v, ok := lostConnections.Load(client); ok {
		return fmt.Errorf("connection to %s lost (no answer to keepalives for %v): %w",
			client.RemoteAddr(), v.(time.Duration), err)
	}
	return err
}

func dialDirect(ctx context.Context, addr string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	d := net.Dialer{Timeout: cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return handshake(conn, addr, cfg)
}

// handshake runs the SSH handshake on conn, bounded by the per-dial timeout.
func handshake(conn net.Conn, addr string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	if cfg.Timeout > 0 {
		_ = conn.SetDeadline(time.Now().Add(cfg.Timeout))
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}
