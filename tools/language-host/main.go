// Command pulumi-language-nodejs is kubeadm-ha's own, minimal Pulumi language
// host for Node.js/TypeScript programs.
//
// Why it exists: the upstream host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which
// the offline module proxy we build from refuses to serve. Old sdk/v3 releases
// still carry a copy of the host, but that copy speaks a years-old gRPC
// protocol (no Handshake, no GetRequiredPackages, no Pulumi.yaml runtime
// options in ProgramInfo, and a resource-monitor proxy that answers
// "Unimplemented" to every monitor RPC added since). So we compile this small
// glue against the same sdk/v3 release as the CLI instead. See
// tools/toolchain.sh for the full recipe.
//
// What it does, and nothing more:
//
//   - prints the port of its gRPC server on stdout (the plugin protocol), and
//     exits when the engine at the address given as the last argument stops
//     answering health checks;
//   - GetRequiredPackages: lists the packages under the program's
//     node_modules whose package.json has `"pulumi": {"resource": true}`;
//   - Run: starts `node <@pulumi/pulumi/cmd/run> --monitor ... <entry point>`
//     in the program directory with the flags and environment the Node SDK's
//     run script reads (PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS,
//     PULUMI_NODEJS_TYPESCRIPT, PULUMI_NODEJS_TSCONFIG_PATH). The Node SDK
//     talks to the engine's resource monitor directly: there is no monitor
//     proxy and no synchronous-invoke pipe, so the long-deprecated synchronous
//     invokes are not supported (the SDK uses them only when given --sync);
//   - Handshake, GetPluginInfo, About, Cancel, and an InstallDependencies
//     that runs `npm ci --ignore-scripts` only when node_modules is missing.
//
// Everything else (code generation, `pulumi new` templates, packing, linking)
// answers Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/shlex"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// hostVersion is stamped at build time (-X main.hostVersion=...).
var hostVersion = "0.0.0-dev"

// exitCodeUserActionable is the exit code the Node SDK's run script uses after
// it has already printed a message the user can act on; the engine then
// "bails" without adding its own error.
const exitCodeUserActionable = 32

// runModule is resolved from the program directory with node's own module
// resolution, so a symlinked or hoisted node_modules works.
const runModule = "@pulumi/pulumi/cmd/run"

func main() {
	tracing := flag.String("tracing", "", "tracing endpoint, passed through to the Node SDK")
	runtimeName := flag.String("runtime", "nodejs", "only \"nodejs\" is supported")
	showVersion := flag.Bool("version", false, "print the version and exit")
	// -v and -logtostderr (passed by `pulumi --logflow`) are registered by
	// glog, which the sdk's rpcutil pulls in.
	flag.Parse()

	if *showVersion {
		fmt.Println(hostVersion)
		return
	}
	if *runtimeName != "nodejs" {
		fatalf("unsupported runtime %q (this host only runs nodejs)", *runtimeName)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancel)
	}()

	host := &languageHost{tracing: *tracing}
	if args := flag.Args(); len(args) > 0 {
		host.engineAddress = args[len(args)-1]
		// Exit once the engine is gone, so no host outlives its `pulumi`.
		if err := rpcutil.Healthcheck(ctx, host.engineAddress, 5*time.Minute, stop); err != nil {
			fatalf("could not start the engine health check: %v", err)
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fatalf("could not start the language host gRPC server: %v", err)
	}
	// The engine reads the port from the first line of our stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fatalf("language host gRPC server stopped: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", args...)
	os.Exit(1)
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	tracing string

	mu            sync.Mutex
	engineAddress string
	running       map[*exec.Cmd]struct{}
}

func (h *languageHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// Handshake is used when the engine attaches to an already running host.
func (h *languageHost) Handshake(ctx context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: hostVersion}, nil
}

// ---------------------------------------------------------------------------
// Required packages

// pkgJSON is the part of a package.json this host reads.
type pkgJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func (h *languageHost) GetRequiredPackages(ctx context.Context,
	req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	deps, err := findPulumiPackages(filepath.Join(dir, "node_modules"))
	if err != nil {
		return nil, status.Errorf(codes.Internal, "scanning %s/node_modules: %v", dir, err)
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

// GetRequiredPlugins is the deprecated predecessor of GetRequiredPackages; the
// engine only falls back to it when GetRequiredPackages is unimplemented.
func (h *languageHost) GetRequiredPlugins(context.Context,
	*pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "use GetRequiredPackages")
}

// findPulumiPackages walks an npm node_modules tree (scoped packages and
// nested node_modules included, symlinks followed once) and returns one
// dependency per distinct provider name and version.
func findPulumiPackages(root string) ([]*pulumirpc.PackageDependency, error) {
	seenDirs := map[string]bool{}
	seenDeps := map[string]*pulumirpc.PackageDependency{}

	var walkModules func(nodeModules string) error
	var visitPackage func(pkgDir string) error

	walkModules = func(nodeModules string) error {
		real, err := filepath.EvalSymlinks(nodeModules)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		if seenDirs[real] {
			return nil
		}
		seenDirs[real] = true
		entries, err := os.ReadDir(real)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(real, name)
			if strings.HasPrefix(name, "@") {
				scoped, err := os.ReadDir(p)
				if err != nil {
					continue
				}
				for _, s := range scoped {
					if err := visitPackage(filepath.Join(p, s.Name())); err != nil {
						return err
					}
				}
				continue
			}
			if err := visitPackage(p); err != nil {
				return err
			}
		}
		return nil
	}

	visitPackage = func(pkgDir string) error {
		b, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
		if err != nil {
			return nil // not a package (e.g. node_modules/.bin), or unreadable
		}
		var pj pkgJSON
		if err := json.Unmarshal(b, &pj); err != nil {
			return fmt.Errorf("%s/package.json: %w", pkgDir, err)
		}
		if pj.Pulumi.Resource {
			dep, err := dependencyOf(pj)
			if err != nil {
				return fmt.Errorf("%s/package.json: %w", pkgDir, err)
			}
			seenDeps[dep.Name+"@"+dep.Version] = dep
		}
		return walkModules(filepath.Join(pkgDir, "node_modules"))
	}

	if err := walkModules(root); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(seenDeps))
	for k := range seenDeps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	deps := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		deps = append(deps, seenDeps[k])
	}
	return deps, nil
}

// dependencyOf maps a provider package's package.json to a plugin dependency:
// the plugin name is `pulumi.name`, else the name after the @pulumi/ scope;
// the version is `pulumi.version`, else the package version, with a "v".
func dependencyOf(pj pkgJSON) (*pulumirpc.PackageDependency, error) {
	name := pj.Pulumi.Name
	if name == "" {
		if !strings.HasPrefix(pj.Name, "@pulumi/") {
			return nil, fmt.Errorf("package %q has no pulumi.name", pj.Name)
		}
		name = strings.TrimPrefix(pj.Name, "@pulumi/")
	}
	version := pj.Pulumi.Version
	if version == "" {
		version = pj.Version
	}
	if version == "" {
		return nil, fmt.Errorf("package %q has no version", pj.Name)
	}
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	return &pulumirpc.PackageDependency{
		Name:    name,
		Kind:    "resource",
		Version: version,
		Server:  pj.Pulumi.Server,
	}, nil
}

// ---------------------------------------------------------------------------
// Run

// runOptions are the `runtime.options` of Pulumi.yaml that matter here.
type runOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseRunOptions(m map[string]any) (runOptions, error) {
	o := runOptions{typescript: true}
	if v, ok := m["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return o, errors.New("runtime option typescript must be a boolean")
		}
		o.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("runtime option tsconfig must be a string")
		}
		o.tsconfig = s
	}
	if v, ok := m["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("runtime option nodeargs must be a string")
		}
		args, err := shlex.Split(s)
		if err != nil {
			return o, fmt.Errorf("runtime option nodeargs: %w", err)
		}
		o.nodeargs = args
	}
	return o, nil
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = req.GetProgram()
	}
	if entry == "" {
		entry = "."
	}

	opts, err := parseRunOptions(info.GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the PATH: " + err.Error()}, nil
	}
	runPath, err := resolveModule(ctx, nodeBin, programDir, runModule)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	config := make(map[string]string, len(req.GetConfig()))
	for k, v := range req.GetConfig() {
		config[k] = v // "<namespace>:<key>"; the SDK accepts this form as is
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engine())
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	flagArg("root-directory", info.GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", programDir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
	)
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = programDir
	cmd.Env = env
	// Wrapping the writers makes exec copy through a pipe instead of handing
	// our own stdout/stderr to node, which may switch them to non-blocking mode.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	// On cancellation ask node to stop (SIGINT) and kill it 5s later.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second

	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{Error: "could not start node: " + err.Error()}, nil
	}
	h.track(cmd, true)
	err = cmd.Wait()
	h.track(cmd, false)
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()

	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitCodeUserActionable:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() > 0:
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}, nil
	default:
		return &pulumirpc.RunResponse{Error: "Program exited unexpectedly: " + err.Error()}, nil
	}
}

func (h *languageHost) track(cmd *exec.Cmd, add bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running == nil {
		h.running = map[*exec.Cmd]struct{}{}
	}
	if add {
		h.running[cmd] = struct{}{}
	} else {
		delete(h.running, cmd)
	}
}

// Cancel asks every running program to stop.
func (h *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for cmd := range h.running {
		if cmd.Process != nil {
			_ = cmd.Process.Signal(os.Interrupt)
		}
	}
	return &emptypb.Empty{}, nil
}

// resolveModule asks node where `mod` resolves from dir.
func resolveModule(ctx context.Context, nodeBin, dir, mod string) (string, error) {
	script := "process.stdout.write(require.resolve(process.argv[1]))"
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script, mod)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s from %s (is @pulumi/pulumi installed? run npm ci): %v: %s",
			mod, dir, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// ---------------------------------------------------------------------------
// About / InstallDependencies

func (h *languageHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "could not find node on the PATH: %v", err)
	}
	resp := &pulumirpc.AboutResponse{Executable: nodeBin}
	if out, err := exec.CommandContext(ctx, nodeBin, "--version").Output(); err == nil {
		resp.Version = strings.TrimSpace(string(out))
	}
	return resp, nil
}

// InstallDependencies keeps an existing node_modules untouched (this project
// installs with `npm ci --ignore-scripts` itself) and otherwise runs exactly
// that.
func (h *languageHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory() //nolint:staticcheck // older engines
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return server.Send(&pulumirpc.InstallDependenciesResponse{
			Stdout: []byte("node_modules present; nothing to install\n"),
		})
	}
	cmd := exec.CommandContext(server.Context(), "npm", "ci", "--ignore-scripts")
	cmd.Dir = dir
	w := &streamWriter{server: server}
	cmd.Stdout = w
	cmd.Stderr = &streamWriter{server: server, stderr: true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci --ignore-scripts in %s: %w", dir, err)
	}
	return nil
}

type streamWriter struct {
	server pulumirpc.LanguageRuntime_InstallDependenciesServer
	stderr bool
}

func (w *streamWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	resp := &pulumirpc.InstallDependenciesResponse{Stdout: b}
	if w.stderr {
		resp = &pulumirpc.InstallDependenciesResponse{Stderr: b}
	}
	if err := w.server.Send(resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

// RuntimeOptionsPrompts: no interactive options (`pulumi new` only).
func (h *languageHost) RuntimeOptionsPrompts(context.Context,
	*pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}
