package provider

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// A kubeconfig for a server that nothing listens on: anything that contacts
// the cluster fails with "connection refused".
const deadKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: secret-token}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: team-a}
current-context: ctx
`

func mustStruct(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustMap(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := unmarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func configured(t *testing.T, args resource.PropertyMap) *Provider {
	t.Helper()
	p := New(nil, "4.34.2")
	p.PollInterval = 10 * time.Millisecond
	if _, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: mustStruct(t, args), AcceptSecrets: true}); err != nil {
		t.Fatal(err)
	}
	return p
}

const cmURN = "urn:pulumi:dev::proj::kubernetes:core/v1:ConfigMap::cfg"

func TestCheckConfigMakesKubeconfigSecret(t *testing.T) {
	p := New(nil, "4.34.2")
	resp, err := p.CheckConfig(context.Background(), &pulumirpc.CheckRequest{News: mustStruct(t, resource.PropertyMap{
		"kubeconfig": resource.NewProperty(deadKubeconfig), "enableServerSideApply": resource.NewProperty("true"),
	})})
	if err != nil {
		t.Fatal(err)
	}
	if m := mustMap(t, resp.Inputs); !m["kubeconfig"].IsSecret() || m["enableServerSideApply"].IsSecret() {
		t.Fatalf("kubeconfig must be secret: %v", m)
	}
}

func TestConfigureDefaultNamespaceAndUnknown(t *testing.T) {
	p := configured(t, resource.PropertyMap{"kubeconfig": resource.MakeSecret(resource.NewProperty(deadKubeconfig))})
	if p.defaultNS != "team-a" {
		t.Fatalf("context namespace: %q", p.defaultNS)
	}
	p = configured(t, resource.PropertyMap{"kubeconfig": resource.NewProperty(deadKubeconfig), "namespace": resource.NewProperty("ops")})
	if p.defaultNS != "ops" {
		t.Fatalf("provider namespace wins: %q", p.defaultNS)
	}
	if p.cfg.ConfigMapImmutable {
		t.Fatal("enableConfigMapMutable unset: ConfigMaps update in place")
	}
	p = configured(t, resource.PropertyMap{"enableConfigMapMutable": resource.NewProperty("false"), "enableSecretMutable": resource.NewProperty("true")})
	if !p.cfg.ConfigMapImmutable || p.cfg.SecretImmutable {
		t.Fatalf("explicit enableConfigMapMutable=false: %+v", p.cfg)
	}
	p = configured(t, resource.PropertyMap{"kubeconfig": resource.MakeComputed(resource.NewProperty(""))})
	if !p.cfg.KubeconfigUnknown || p.defaultNS != "default" {
		t.Fatalf("unknown kubeconfig: %+v %q", p.cfg, p.defaultNS)
	}
	if _, err := p.kube(); err == nil {
		t.Fatal("clients with an unknown kubeconfig")
	}
}

func TestCheckAutonames(t *testing.T) {
	p := configured(t, resource.PropertyMap{})
	news := resource.PropertyMap{"data": resource.NewProperty(resource.PropertyMap{"a": resource.NewProperty("b")})}
	req := &pulumirpc.CheckRequest{Urn: cmURN, News: mustStruct(t, news), RandomSeed: []byte("seed")}
	resp, err := p.Check(context.Background(), req)
	if err != nil || len(resp.Failures) > 0 {
		t.Fatal(err, resp.GetFailures())
	}
	got := toPlain(mustMap(t, resp.Inputs))
	name := getString(got, "metadata", "name")
	if !strings.HasPrefix(name, "cfg-") || len(name) != len("cfg-")+8 {
		t.Fatalf("autoname %q", name)
	}
	if got["apiVersion"] != "v1" || got["kind"] != "ConfigMap" || annotation(got, annAutonamed) != "true" {
		t.Fatalf("check output %v", got)
	}
	// the next update keeps the name, whatever the seed
	req2 := &pulumirpc.CheckRequest{Urn: cmURN, News: mustStruct(t, news), Olds: resp.Inputs, RandomSeed: []byte("other")}
	resp2, err := p.Check(context.Background(), req2)
	if err != nil {
		t.Fatal(err)
	}
	if n := getString(toPlain(mustMap(t, resp2.Inputs)), "metadata", "name"); n != name {
		t.Fatalf("name changed: %q -> %q", name, n)
	}
	// an explicit name is kept and not marked autonamed
	news["metadata"] = resource.NewProperty(resource.PropertyMap{"name": resource.NewProperty("fixed")})
	resp3, _ := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: cmURN, News: mustStruct(t, news)})
	if g := toPlain(mustMap(t, resp3.Inputs)); getString(g, "metadata", "name") != "fixed" || annotation(g, annAutonamed) != "" {
		t.Fatalf("explicit name: %v", g)
	}
}

func TestCheckPatchNeedsName(t *testing.T) {
	p := configured(t, resource.PropertyMap{})
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: "urn:pulumi:dev::proj::kubernetes:core/v1:NodePatch::n", News: mustStruct(t, resource.PropertyMap{}),
	})
	if err != nil || len(resp.Failures) != 1 || resp.Failures[0].Property != "metadata.name" {
		t.Fatalf("%v %v", err, resp.GetFailures())
	}
}

func TestPreviewDoesNotContactCluster(t *testing.T) {
	for _, kc := range []resource.PropertyValue{resource.NewProperty(deadKubeconfig), resource.MakeComputed(resource.NewProperty(""))} {
		p := configured(t, resource.PropertyMap{"kubeconfig": kc})
		in := resource.PropertyMap{
			"apiVersion": resource.NewProperty("v1"), "kind": resource.NewProperty("ConfigMap"),
			"metadata": resource.NewProperty(resource.PropertyMap{"name": resource.NewProperty("x"),
				"namespace": resource.MakeComputed(resource.NewProperty(""))}),
			"data": resource.NewProperty(resource.PropertyMap{"k": resource.MakeSecret(resource.NewProperty("v"))}),
		}
		resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: cmURN, Properties: mustStruct(t, in), Preview: true})
		if err != nil {
			t.Fatalf("preview create: %v", err)
		}
		out := mustMap(t, resp.Properties)
		if !out["data"].ContainsSecrets() || !out["metadata"].ObjectValue()["namespace"].IsComputed() {
			t.Fatalf("preview outputs: %v", out)
		}
		uresp, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: cmURN, News: mustStruct(t, in), Preview: true})
		if err != nil || uresp.Properties == nil {
			t.Fatalf("preview update: %v", err)
		}
		dresp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: cmURN, OldInputs: mustStruct(t, in), News: mustStruct(t, in)})
		if err != nil || dresp.Changes != pulumirpc.DiffResponse_DIFF_SOME { // unknown namespace: a possible change
			t.Fatalf("diff: %v %v", err, dresp)
		}
	}
	// a real create against the dead cluster fails (it does try to contact it)
	p := configured(t, resource.PropertyMap{"kubeconfig": resource.NewProperty(deadKubeconfig)})
	in := resource.PropertyMap{"metadata": resource.NewProperty(resource.PropertyMap{"name": resource.NewProperty("x")})}
	if _, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: cmURN, Properties: mustStruct(t, in)}); err == nil {
		t.Fatal("create against an unreachable cluster must fail")
	}
}

func TestDeleteUnreachable(t *testing.T) {
	in := resource.PropertyMap{"metadata": resource.NewProperty(resource.PropertyMap{"name": resource.NewProperty("x")})}
	p := configured(t, resource.PropertyMap{"kubeconfig": resource.NewProperty(deadKubeconfig)})
	_, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: cmURN, Id: "team-a/x", Properties: mustStruct(t, in)})
	if err == nil || !strings.Contains(err.Error(), "deleteUnreachable") {
		t.Fatalf("want an unreachable error naming deleteUnreachable, got %v", err)
	}
	p = configured(t, resource.PropertyMap{"kubeconfig": resource.NewProperty(deadKubeconfig), "deleteUnreachable": resource.NewProperty("true")})
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: cmURN, Id: "team-a/x", Properties: mustStruct(t, in)}); err != nil {
		t.Fatalf("deleteUnreachable: %v", err)
	}
	if resp, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: cmURN, Id: "team-a/x", Properties: mustStruct(t, in)}); err != nil || resp.Id != "" {
		t.Fatalf("refresh with deleteUnreachable reads as deleted: %v %v", resp, err)
	}
	p = configured(t, resource.PropertyMap{"kubeconfig": resource.NewProperty(deadKubeconfig)})
	if _, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: cmURN, Id: "team-a/x", Properties: mustStruct(t, in)}); err == nil ||
		!strings.Contains(err.Error(), "PULUMI_K8S_DELETE_UNREACHABLE") {
		t.Fatalf("refresh of an unreachable cluster must fail: %v", err)
	}
}

func TestOutputsKeepSecrets(t *testing.T) {
	k := mustKind(t, "kubernetes:core/v1:Secret")
	inputs := resource.PropertyMap{"metadata": resource.NewProperty(resource.PropertyMap{"name": resource.NewProperty("s")})}
	live := obj("apiVersion", "v1", "kind", "Secret", "metadata", obj("name", "s", "managedFields", []any{obj("manager", "x")}),
		"data", obj("k", "dg=="), "type", "Opaque")
	out := outputs(k, live, inputs)
	if !out["data"].IsSecret() || out["type"].IsSecret() || out["metadata"].ObjectValue().HasValue("managedFields") {
		t.Fatalf("outputs %v", out)
	}
	k = mustKind(t, "kubernetes:core/v1:ConfigMap")
	inputs["data"] = resource.NewProperty(resource.PropertyMap{"k": resource.MakeSecret(resource.NewProperty("v"))})
	out = outputs(k, obj("data", obj("k", "v"), "metadata", obj("name", "c")), inputs)
	if !out["data"].IsSecret() || out["metadata"].IsSecret() {
		t.Fatalf("secret input field must stay secret: %v", out)
	}
}

func TestFieldManager(t *testing.T) {
	np := mustKind(t, "kubernetes:core/v1:NodePatch")
	a := FieldManager(np, "urn:a", obj())
	if !strings.HasPrefix(a, "pulumi-kubernetes-") || a == FieldManager(np, "urn:b", obj()) || a != FieldManager(np, "urn:a", obj()) {
		t.Fatalf("patch managers: %s", a)
	}
	if m := FieldManager(np, "urn:a", obj("metadata", obj("annotations", obj(annPatchManager, "mine")))); m != "mine" {
		t.Fatal(m)
	}
	if m := FieldManager(mustKind(t, "kubernetes:core/v1:Node"), "urn:a", obj()); m != "pulumi-kubernetes" {
		t.Fatal(m)
	}
}

func TestClientConfigPath(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/kc"
	if err := writeFile(path, deadKubeconfig); err != nil {
		t.Fatal(err)
	}
	cc, err := clientConfig(path, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if ns, _, _ := cc.Namespace(); ns != "team-a" {
		t.Fatalf("ns %q", ns)
	}
	if _, err := clientConfig(dir+"/missing", "", ""); err == nil {
		t.Fatal("missing path")
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

func TestPreviewUpdateOverlaysOldOutputs(t *testing.T) {
	p := configured(t, resource.PropertyMap{"kubeconfig": resource.NewProperty(deadKubeconfig)})
	oldIn := resource.NewPropertyMapFromMap(map[string]any{
		"metadata": map[string]any{"name": "c", "labels": map[string]any{"a": "1", "gone": "x"}},
		"data":     map[string]any{"k": "v1"},
	})
	olds := resource.NewPropertyMapFromMap(map[string]any{
		"metadata": map[string]any{"name": "c", "uid": "u-1", "labels": map[string]any{"a": "1", "gone": "x"}},
		"data":     map[string]any{"k": "v1"},
	})
	news := resource.NewPropertyMapFromMap(map[string]any{
		"metadata": map[string]any{"name": "c", "labels": map[string]any{"a": "2"}},
		"data":     map[string]any{"k": "v2"},
	})
	resp, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: cmURN, Preview: true,
		Olds: mustStruct(t, olds), OldInputs: mustStruct(t, oldIn), News: mustStruct(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	got := toPlain(mustMap(t, resp.Properties))
	if getString(got, "metadata", "uid") != "u-1" || getString(got, "data", "k") != "v2" ||
		getString(got, "metadata", "labels", "a") != "2" || getMap(got, "metadata", "labels")["gone"] != nil {
		t.Fatalf("overlay: %v", got)
	}
	// create preview: status of awaited kinds is unknown, not absent
	resp2, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: "urn:pulumi:dev::proj::kubernetes:core/v1:Namespace::ns",
		Properties: mustStruct(t, resource.PropertyMap{}), Preview: true})
	if err != nil || !mustMap(t, resp2.Properties)["status"].IsComputed() {
		t.Fatalf("create preview status: %v", err)
	}
}
