// Package provider is kubeadm-ha's own `kubernetes` resource provider: a
// plain gRPC ResourceProvider serving any kubernetes:<group>/<version>:<Kind>
// token (and the ...Patch kinds) generically through the cluster's discovery,
// with server-side apply. See ../../README.md for the semantics.
package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	pprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

// Config is the provider configuration (the k8s.Provider arguments used here).
type Config struct {
	Kubeconfig        string
	KubeconfigUnknown bool
	Context           string
	Cluster           string
	Namespace         string
	DeleteUnreachable bool
	EnablePatchForce  bool
	UpsertExisting    bool
	// explicitly false: ConfigMap / Secret content changes replace (upstream default)
	ConfigMapImmutable bool
	SecretImmutable    bool
}

// Provider implements pulumirpc.ResourceProviderServer.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	host    *pprovider.HostClient // nil in unit tests
	version string

	mu        sync.Mutex
	cfg       Config
	defaultNS string
	clients   *kubeClients
	cancelCtx context.Context
	cancel    context.CancelFunc

	// PollInterval is the readiness/deletion polling period (tests shorten it).
	PollInterval time.Duration
}

// New returns a provider reporting the given plugin version.
func New(host *pprovider.HostClient, version string) *Provider {
	ctx, cancel := context.WithCancel(context.Background())
	return &Provider{host: host, version: version, defaultNS: "default", cancelCtx: ctx, cancel: cancel,
		PollInterval: 2 * time.Second}
}

var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, marshalOpts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOpts)
}

func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.version}, nil
}

func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"kubernetes","version":%q}`, p.version)}, nil
}

func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancel()
	return &emptypb.Empty{}, nil
}

func (p *Provider) GetMapping(context.Context, *pulumirpc.GetMappingRequest) (*pulumirpc.GetMappingResponse, error) {
	return &pulumirpc.GetMappingResponse{}, nil
}

// CheckConfig keeps the configuration as given and makes kubeconfig secret.
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if v, ok := news["kubeconfig"]; ok && !v.IsNull() && !v.IsSecret() {
		news["kubeconfig"] = resource.MakeSecret(v)
	}
	out, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out}, nil
}

// DiffConfig: configuration changes update the provider in place; resources
// are never replaced because of them.
func (p *Provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var changes []Change
	diffValues(resource.PropertyPath{}, toPlain(olds), toPlain(news), &changes)
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	for _, c := range changes {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		resp.Diffs = append(resp.Diffs, strings.SplitN(strings.SplitN(c.Path, ".", 2)[0], "[", 2)[0])
	}
	return resp, nil
}

func configString(m resource.PropertyMap, vars map[string]string, key string) (string, bool) {
	if v, ok := m[resource.PropertyKey(key)]; ok {
		pv, _ := plainValue(v)
		switch t := pv.(type) {
		case unknown:
			return "", false
		case string:
			return t, true
		case bool:
			return fmt.Sprint(t), true
		case nil:
			return "", true
		default:
			return fmt.Sprint(t), true
		}
	}
	return vars["kubernetes:config:"+key], true
}

func configBool(m resource.PropertyMap, vars map[string]string, key string) bool {
	s, _ := configString(m, vars, key)
	return s == "true"
}

// Configure records the configuration; it never contacts the cluster, and an
// unknown kubeconfig (a preview before the cluster exists) is accepted.
func (p *Provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	vars := req.GetVariables()
	var c Config
	var known bool
	c.Kubeconfig, known = configString(args, vars, "kubeconfig")
	c.KubeconfigUnknown = !known
	c.Context, _ = configString(args, vars, "context")
	c.Cluster, _ = configString(args, vars, "cluster")
	c.Namespace, _ = configString(args, vars, "namespace")
	c.DeleteUnreachable = configBool(args, vars, "deleteUnreachable")
	c.EnablePatchForce = configBool(args, vars, "enablePatchForce")
	c.UpsertExisting = configBool(args, vars, "upsertExistingObjects")
	if s, _ := configString(args, vars, "enableConfigMapMutable"); s == "false" {
		c.ConfigMapImmutable = true
	}
	if s, _ := configString(args, vars, "enableSecretMutable"); s == "false" {
		c.SecretImmutable = true
	}

	ns := c.Namespace
	if ns == "" && !c.KubeconfigUnknown {
		if cc, err := clientConfig(c.Kubeconfig, c.Context, c.Cluster); err == nil {
			if n, _, err := cc.Namespace(); err == nil {
				ns = n
			}
		}
	}
	if ns == "" {
		ns = "default"
	}
	p.mu.Lock()
	p.cfg, p.defaultNS, p.clients = c, ns, nil
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

// kube returns the clients, building them on first use.
func (p *Provider) kube() (*kubeClients, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.clients != nil {
		return p.clients, nil
	}
	if p.cfg.KubeconfigUnknown {
		return nil, fmt.Errorf("the provider's kubeconfig is not known yet")
	}
	cc, err := clientConfig(p.cfg.Kubeconfig, p.cfg.Context, p.cfg.Cluster)
	if err != nil {
		return nil, err
	}
	kc, err := newKubeClients(cc)
	if err != nil {
		return nil, err
	}
	p.clients = kc
	return kc, nil
}

// NewWithClientConfig configures a provider directly (unit tests).
func (p *Provider) setClientConfig(cc clientcmd.ClientConfig) error {
	kc, err := newKubeClients(cc)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.clients = kc
	p.mu.Unlock()
	return nil
}

func tokenOf(urn, typ string) string {
	if typ != "" {
		return typ
	}
	return string(resource.URN(urn).Type())
}

func nameOf(urn, name string) string {
	if name != "" {
		return name
	}
	return resource.URN(urn).Name()
}

// Check fills apiVersion/kind and autonames metadata.name (<name>-<8 hex>,
// kept across updates) when the program does not set one.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	k, err := ParseToken(tokenOf(req.GetUrn(), req.GetType()))
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	if v, ok := news["apiVersion"]; !ok || v.IsNull() {
		news["apiVersion"] = resource.NewProperty(k.APIVersion())
	}
	if v, ok := news["kind"]; !ok || v.IsNull() {
		news["kind"] = resource.NewProperty(k.GVK.Kind)
	}
	if av, _ := plainValue(news["apiVersion"]); av != Unknown && av != k.APIVersion() {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "apiVersion",
			Reason: fmt.Sprintf("apiVersion %v does not match the resource type (%s)", av, k.APIVersion())})
	}
	if kv, _ := plainValue(news["kind"]); kv != Unknown && kv != k.GVK.Kind {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "kind",
			Reason: fmt.Sprintf("kind %v does not match the resource type (%s)", kv, k.GVK.Kind)})
	}
	md, ok := news["metadata"]
	if !ok || md.IsNull() {
		md = resource.NewProperty(resource.PropertyMap{})
		news["metadata"] = md
	}
	if md.IsObject() {
		mdm := md.ObjectValue()
		if n, ok := mdm["name"]; !ok || n.IsNull() || (n.IsString() && n.StringValue() == "") {
			if k.Patch {
				failures = append(failures, &pulumirpc.CheckFailure{Property: "metadata.name",
					Reason: "a Patch resource needs metadata.name: the object to patch"})
			} else {
				name, err := autoname(req, olds)
				if err != nil {
					return nil, err
				}
				mdm["name"] = resource.NewProperty(name)
				ann, ok := mdm["annotations"]
				if !ok || ann.IsNull() {
					ann = resource.NewProperty(resource.PropertyMap{})
					mdm["annotations"] = ann
				}
				if ann.IsObject() {
					ann.ObjectValue()[annAutonamed] = resource.NewProperty("true")
				}
			}
		}
	}
	out, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out, Failures: failures}, nil
}

// autoname keeps the previous generated name, else makes <name>-<8 hex>
// from the engine's random seed (stable across previews of one update).
func autoname(req *pulumirpc.CheckRequest, olds resource.PropertyMap) (string, error) {
	old := toPlain(olds)
	if getString(old, "metadata", "annotations", annAutonamed) == "true" {
		if n := getString(old, "metadata", "name"); n != "" {
			return n, nil
		}
	}
	return resource.NewUniqueName(req.GetRandomSeed(), nameOf(req.GetUrn(), req.GetName())+"-", 8, 253, nil)
}

// Diff compares old and new inputs; see Diff in diff.go.
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	k, err := ParseToken(tokenOf(req.GetUrn(), req.GetType()))
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 { // an engine that does not send old inputs: outputs minus server fields
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
		delete(olds, "status")
	}
	p.mu.Lock()
	ns := p.defaultNS
	dopts := DiffOptions{ReplaceConfigMapData: p.cfg.ConfigMapImmutable, ReplaceSecretData: p.cfg.SecretImmutable}
	p.mu.Unlock()
	res := Diff(k, toPlain(olds), toPlain(news), ns, dopts)
	return diffResponse(res), nil
}

func diffResponse(res DiffResult) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{
		Changes:             pulumirpc.DiffResponse_DIFF_NONE,
		DeleteBeforeReplace: res.DeleteBeforeReplace,
		HasDetailedDiff:     true,
		DetailedDiff:        map[string]*pulumirpc.PropertyDiff{},
	}
	seen := map[string]bool{}
	for _, c := range res.Changes {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		kind := map[ChangeKind]pulumirpc.PropertyDiff_Kind{
			Added: pulumirpc.PropertyDiff_ADD, Deleted: pulumirpc.PropertyDiff_DELETE, Updated: pulumirpc.PropertyDiff_UPDATE,
		}[c.Kind]
		if c.Replace {
			kind = map[ChangeKind]pulumirpc.PropertyDiff_Kind{
				Added: pulumirpc.PropertyDiff_ADD_REPLACE, Deleted: pulumirpc.PropertyDiff_DELETE_REPLACE,
				Updated: pulumirpc.PropertyDiff_UPDATE_REPLACE,
			}[c.Kind]
			resp.Replaces = append(resp.Replaces, c.Path)
		}
		resp.DetailedDiff[c.Path] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		top := strings.SplitN(strings.SplitN(c.Path, ".", 2)[0], "[", 2)[0]
		if !seen[top] {
			seen[top] = true
			resp.Diffs = append(resp.Diffs, top)
		}
	}
	return resp
}

// FieldManager is the server-side apply field manager of a resource: the
// provider's for ordinary resources, one per resource (from its URN) for
// Patch resources unless pulumi.com/patchFieldManager names one.
func FieldManager(k Kind, urn string, inputs map[string]any) string {
	if !k.Patch {
		return "pulumi-kubernetes"
	}
	if m := annotation(inputs, annPatchManager); m != "" {
		return m
	}
	sum := sha256.Sum256([]byte(urn))
	return "pulumi-kubernetes-" + hex.EncodeToString(sum[:])[:12]
}

// target resolves the REST client and the namespace of an object.
type target struct {
	ri        dynamic.ResourceInterface
	name      string
	namespace string // "" for cluster-scoped kinds
}

func (t target) id() string {
	if t.namespace == "" {
		return t.name
	}
	return t.namespace + "/" + t.name
}

func (p *Provider) resolve(kc *kubeClients, k Kind, name, namespace string) (target, error) {
	m, err := kc.mapping(k)
	if err != nil {
		return target{}, err
	}
	t := target{name: name}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if namespace == "" {
			p.mu.Lock()
			namespace = p.defaultNS
			p.mu.Unlock()
		}
		t.namespace = namespace
		t.ri = kc.dyn.Resource(m.Resource).Namespace(namespace)
	} else {
		t.ri = kc.dyn.Resource(m.Resource)
	}
	return t, nil
}

// applyBody is the object sent with server-side apply: the inputs, with the
// resolved namespace (none for cluster-scoped kinds).
func applyBody(inputs map[string]any, k Kind, t target) *unstructured.Unstructured {
	obj := runtime.DeepCopyJSON(inputs)
	obj["apiVersion"], obj["kind"] = k.APIVersion(), k.GVK.Kind
	md := ensureMap(obj, "metadata")
	md["name"] = t.name
	if t.namespace != "" {
		md["namespace"] = t.namespace
	} else {
		delete(md, "namespace")
	}
	return &unstructured.Unstructured{Object: obj}
}

func (p *Provider) patchForce(inputs map[string]any) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return annotation(inputs, annPatchForce) == "true" || p.cfg.EnablePatchForce
}

// outputs: the live object without managedFields; input secrets stay secret
// (top-level field granularity), as do a Secret's data and stringData.
func outputs(k Kind, live map[string]any, inputs resource.PropertyMap) resource.PropertyMap {
	live = runtime.DeepCopyJSON(live)
	if md := getMap(live, "metadata"); md != nil {
		delete(md, "managedFields")
	}
	out := fromPlain(live)
	keys := secretKeys(inputs)
	if k.GVK.Group == "" && k.GVK.Kind == "Secret" {
		keys["data"], keys["stringData"] = true, true
	}
	markSecret(out, keys)
	return out
}

type opInfo struct {
	urn     string
	k       Kind
	inputs  resource.PropertyMap
	plain   map[string]any
	timeout float64
}

func (p *Provider) status(ctx context.Context, urn, msg string) {
	if p.host != nil {
		_ = p.host.LogStatus(ctx, diag.Info, resource.URN(urn), msg)
	}
}

func (p *Provider) warn(ctx context.Context, urn, msg string) {
	if p.host != nil {
		_ = p.host.Log(ctx, diag.Warning, resource.URN(urn), msg)
	}
}

// opContext ends when the request's context ends or the engine cancels.
func (p *Provider) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-p.cancelCtx.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// apply server-side applies the inputs and awaits readiness. create: a
// non-Patch object must not exist yet (unless upsertExistingObjects); a Patch
// target must exist.
func (p *Provider) apply(ctx context.Context, op opInfo, create bool) (string, resource.PropertyMap, error) {
	kc, err := p.kube()
	if err != nil {
		return "", nil, err
	}
	name := getString(op.plain, "metadata", "name")
	t, err := p.resolve(kc, op.k, name, getString(op.plain, "metadata", "namespace"))
	if err != nil {
		return "", nil, err
	}
	what := fmt.Sprintf("%s %q", op.k.GVK.Kind, t.id())
	if op.k.Patch || (create && !p.cfg.UpsertExisting) {
		_, err := t.ri.Get(ctx, name, metav1.GetOptions{})
		switch {
		case op.k.Patch && isNotFound(err):
			return "", nil, fmt.Errorf("cannot patch %s: it does not exist", what)
		case !op.k.Patch && err == nil:
			return "", nil, fmt.Errorf("%s already exists; import it, delete it, or set the provider's upsertExistingObjects", what)
		case err != nil && !isNotFound(err):
			return "", nil, fmt.Errorf("reading %s: %w", what, err)
		}
	}
	force := !op.k.Patch || p.patchForce(op.plain)
	live, err := t.ri.Apply(ctx, name, applyBody(op.plain, op.k, t), metav1.ApplyOptions{
		FieldManager: FieldManager(op.k, op.urn, op.plain), Force: force,
	})
	if err != nil {
		return "", nil, fmt.Errorf("server-side apply of %s: %w", what, err)
	}
	obj, awaitErr := p.await(ctx, op, t, live.Object)
	outs := outputs(op.k, obj, op.inputs)
	if awaitErr != nil {
		return t.id(), outs, fmt.Errorf("%s was applied but is not ready: %w", what, awaitErr)
	}
	return t.id(), outs, nil
}

// await polls the object until its kind's readiness condition holds.
func (p *Provider) await(ctx context.Context, op opInfo, t target, live map[string]any) (map[string]any, error) {
	gk := op.k.GVK.GroupKind()
	if op.k.Patch || skipAwait(op.plain) || !HasAwaiter(gk) {
		return live, nil
	}
	timeout, err := awaitTimeout(op.plain, op.timeout)
	if err != nil {
		return live, err
	}
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, msg, err := Ready(gk, live)
		if err != nil {
			return live, err
		}
		if ok {
			return live, nil
		}
		if msg != last {
			p.status(ctx, op.urn, msg)
			last = msg
		}
		if time.Now().After(deadline) {
			return live, fmt.Errorf("timed out after %s: %s (annotation %s=\"true\" skips waiting, %s changes the limit)",
				timeout, msg, annSkipAwait, annTimeoutSeconds)
		}
		if err := sleepCtx(ctx, p.PollInterval); err != nil {
			return live, err
		}
		obj, err := t.ri.Get(ctx, t.name, metav1.GetOptions{})
		if err != nil {
			if isNotFound(err) {
				return live, fmt.Errorf("the object was deleted while waiting for it")
			}
			continue // transient; the deadline bounds it
		}
		live = obj.Object
	}
}

func initFailed(id string, outs resource.PropertyMap, err error) error {
	props, merr := marshal(outs)
	if merr != nil {
		return err
	}
	return rpcerror.WithDetails(rpcerror.New(codes.Unknown, err.Error()),
		&pulumirpc.ErrorResourceInitFailed{Id: id, Properties: props, Reasons: []string{err.Error()}})
}

func (p *Provider) opFor(urn, typ string, props *structpb.Struct, timeout float64) (opInfo, error) {
	k, err := ParseToken(tokenOf(urn, typ))
	if err != nil {
		return opInfo{}, err
	}
	in, err := unmarshal(props)
	if err != nil {
		return opInfo{}, err
	}
	return opInfo{urn: urn, k: k, inputs: in, plain: toPlain(in), timeout: timeout}, nil
}

// previewCreateOutputs: a preview cannot know what the server fills in, so
// the outputs are the inputs, with status unknown (not absent).
func previewCreateOutputs(op opInfo) resource.PropertyMap {
	outs := op.inputs.Copy()
	if _, ok := outs["status"]; !ok && !op.k.Patch && HasAwaiter(op.k.GVK.GroupKind()) {
		outs["status"] = resource.MakeComputed(resource.NewProperty(""))
	}
	return outs
}

// overlay is the preview of an update: the previous live object (outputs)
// with the new inputs laid over it, and fields dropped from the inputs
// removed, so server-filled fields (uid, clusterIP, status) stay known.
func overlay(out, oldIn, newIn resource.PropertyMap) resource.PropertyMap {
	res := out.Copy()
	for k := range oldIn {
		if _, ok := newIn[k]; !ok {
			delete(res, k)
		}
	}
	for k, nv := range newIn {
		ov, ok := res[k]
		if ok && nv.IsObject() && ov.IsObject() {
			var oi resource.PropertyMap
			if v, ok := oldIn[k]; ok && v.IsObject() {
				oi = v.ObjectValue()
			}
			res[k] = resource.NewProperty(overlay(ov.ObjectValue(), oi, nv.ObjectValue()))
			continue
		}
		res[k] = nv
	}
	return res
}

// Create applies the object (nothing in a preview: outputs are the inputs).
func (p *Provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	op, err := p.opFor(req.GetUrn(), req.GetType(), req.GetProperties(), req.GetTimeout())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := marshal(previewCreateOutputs(op))
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	if hasUnknown(op.plain) {
		return nil, fmt.Errorf("inputs still contain unknown values")
	}
	ctx, cancel := p.opContext(ctx)
	defer cancel()
	id, outs, err := p.apply(ctx, op, true)
	if err != nil {
		if id != "" {
			return nil, initFailed(id, outs, err)
		}
		return nil, err
	}
	props, err := marshal(outs)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

// Update applies the new inputs under the same field manager, so fields
// dropped from the program are removed from the object.
func (p *Provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	op, err := p.opFor(req.GetUrn(), req.GetType(), req.GetNews(), req.GetTimeout())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		olds, err := unmarshal(req.GetOlds())
		if err != nil {
			return nil, err
		}
		oldIn, err := unmarshal(req.GetOldInputs())
		if err != nil {
			return nil, err
		}
		outs := overlay(olds, oldIn, op.inputs)
		markSecret(outs, secretKeys(op.inputs))
		props, err := marshal(outs)
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	if hasUnknown(op.plain) {
		return nil, fmt.Errorf("inputs still contain unknown values")
	}
	ctx, cancel := p.opContext(ctx)
	defer cancel()
	id, outs, err := p.apply(ctx, op, false)
	if err != nil {
		if id != "" {
			return nil, initFailed(id, outs, err)
		}
		return nil, err
	}
	props, err := marshal(outs)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

func splitID(id string) (namespace, name string) {
	if i := strings.Index(id, "/"); i >= 0 {
		return id[:i], id[i+1:]
	}
	return "", id
}

// Read GETs the object (refresh, import). A missing object reads as deleted;
// so does any object of an unreachable cluster when deleteUnreachable is set
// (otherwise an unreachable cluster is an error, as upstream).
func (p *Provider) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	resp, err := p.read(ctx, req)
	if err != nil && unreachable(err) {
		p.mu.Lock()
		skip := p.cfg.DeleteUnreachable
		p.mu.Unlock()
		if skip {
			p.warn(ctx, req.GetUrn(), fmt.Sprintf("cluster unreachable (%v): %s read as deleted (deleteUnreachable)", err, req.GetId()))
			return &pulumirpc.ReadResponse{}, nil
		}
		return nil, fmt.Errorf("%w (the cluster is unreachable: if it is gone for good, set the provider's deleteUnreachable or PULUMI_K8S_DELETE_UNREACHABLE=true)", err)
	}
	return resp, err
}

func (p *Provider) read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	k, err := ParseToken(tokenOf(req.GetUrn(), req.GetType()))
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	inputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	kc, err := p.kube()
	if err != nil {
		return nil, err
	}
	ns, name := splitID(req.GetId())
	t, err := p.resolve(kc, k, name, ns)
	if err != nil {
		return nil, err
	}
	live, err := t.ri.Get(ctx, name, metav1.GetOptions{})
	if isNotFound(err) {
		return &pulumirpc.ReadResponse{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s %q: %w", k.GVK.Kind, req.GetId(), err)
	}
	if len(inputs) == 0 { // import: the object's own configuration
		inputs = fromPlain(importInputs(live.Object))
	}
	secrets := resource.PropertyMap{}
	for key, v := range olds {
		secrets[key] = v
	}
	for key, v := range inputs {
		if v.ContainsSecrets() {
			secrets[key] = v
		}
	}
	outs, err := marshal(outputs(k, live.Object, secrets))
	if err != nil {
		return nil, err
	}
	ins, err := marshal(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: t.id(), Properties: outs, Inputs: ins}, nil
}

// importInputs: the live object without status and server-set metadata.
func importInputs(live map[string]any) map[string]any {
	obj := runtime.DeepCopyJSON(live)
	delete(obj, "status")
	md := ensureMap(obj, "metadata")
	for key := range md {
		switch key {
		case "name", "namespace", "labels", "annotations":
		default:
			delete(md, key)
		}
	}
	if ann := getMap(obj, "metadata", "annotations"); ann != nil {
		delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	}
	return obj
}

// Delete deletes the object and waits until it is gone; a Patch resource
// instead releases the fields it applied. An object that is already gone is
// not an error; an unreachable cluster is, unless deleteUnreachable is set.
func (p *Provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	in := req.GetOldInputs()
	if in == nil || len(in.GetFields()) == 0 {
		in = req.GetProperties()
	}
	op, err := p.opFor(req.GetUrn(), req.GetType(), in, req.GetTimeout())
	if err != nil {
		return nil, err
	}
	ctx, cancel := p.opContext(ctx)
	defer cancel()
	err = p.delete(ctx, op, req.GetId())
	if err != nil && unreachable(err) {
		p.mu.Lock()
		skip := p.cfg.DeleteUnreachable
		p.mu.Unlock()
		if skip {
			p.warn(ctx, op.urn, fmt.Sprintf("cluster unreachable (%v): removing %s from the state only (deleteUnreachable)", err, req.GetId()))
			return &emptypb.Empty{}, nil
		}
		return nil, fmt.Errorf("%w (the cluster is unreachable: if it is gone for good, set the provider's deleteUnreachable or PULUMI_K8S_DELETE_UNREACHABLE=true to drop its resources from the state)", err)
	}
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (p *Provider) delete(ctx context.Context, op opInfo, id string) error {
	kc, err := p.kube()
	if err != nil {
		return err
	}
	ns, name := splitID(id)
	t, err := p.resolve(kc, op.k, name, ns)
	if err != nil {
		if meta.IsNoMatchError(err) || strings.Contains(err.Error(), "no matches for kind") {
			return nil // the kind (a CRD) is gone, so is the object
		}
		return err
	}
	what := fmt.Sprintf("%s %q", op.k.GVK.Kind, t.id())
	if op.k.Patch {
		if _, err := t.ri.Get(ctx, name, metav1.GetOptions{}); isNotFound(err) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading %s: %w", what, err)
		}
		// Applying an empty configuration under the same manager drops its fields.
		empty := &unstructured.Unstructured{Object: map[string]any{}}
		empty = applyBody(empty.Object, op.k, t)
		_, err := t.ri.Apply(ctx, name, empty, metav1.ApplyOptions{FieldManager: FieldManager(op.k, op.urn, op.plain)})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("releasing the fields of %s: %w", what, err)
		}
		return nil
	}
	policy := metav1.DeletePropagationForeground
	switch annotation(op.plain, annDeletePolicy) {
	case "":
	case "background":
		policy = metav1.DeletePropagationBackground
	case "orphan":
		policy = metav1.DeletePropagationOrphan
	case "foreground":
	default:
		return fmt.Errorf("annotation %s: want foreground, background or orphan", annDeletePolicy)
	}
	err = t.ri.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting %s: %w", what, err)
	}
	timeout, err := awaitTimeout(op.plain, op.timeout)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		obj, err := t.ri.Get(ctx, name, metav1.GetOptions{})
		if isNotFound(err) {
			return nil
		}
		if time.Now().After(deadline) {
			msg := "still present"
			if err == nil {
				msg += fmt.Sprintf(" (finalizers %v)", obj.GetFinalizers())
			} else {
				msg += fmt.Sprintf(" (last read: %v)", err)
			}
			return fmt.Errorf("timed out after %s waiting for %s to be deleted: %s", timeout, what, msg)
		}
		p.status(ctx, op.urn, "waiting for deletion")
		if err := sleepCtx(ctx, p.PollInterval); err != nil {
			return err
		}
	}
}
