package provider

// Engine-facing behaviour through pulumi-go-provider's in-process server: the
// same code paths the engine's gRPC calls take (Check/Diff/Create/Update/
// Delete/Invoke), including secret and preview handling.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func server(t *testing.T) integration.Server {
	t.Helper()
	s, err := integration.NewServer(context.Background(), Name, semver.MustParse(Version), integration.WithProvider(New()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func urn(typ, name string) presource.URN {
	return presource.NewURN("dev", "kubeadm-ha", "", tokens.Type(typ), name)
}

func str(s string) property.Value { return property.New(s) }

func m(kv map[string]property.Value) property.Map { return property.NewMap(kv) }

const (
	localCmd  = "command:local:Command"
	remoteCmd = "command:remote:Command"
)

func diffKinds(t *testing.T, s integration.Server, typ string, olds, news property.Map) (bool, map[string]p.DiffKind) {
	t.Helper()
	resp, err := s.Diff(p.DiffRequest{ID: "x", Urn: urn(typ, "r"), State: olds, OldInputs: olds, Inputs: news})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]p.DiffKind{}
	for k, v := range resp.DetailedDiff {
		kinds[k] = v.Kind
	}
	return resp.HasChanges, kinds
}

func TestDiffDecisions(t *testing.T) {
	s := server(t)
	conn := property.New(m(map[string]property.Value{"host": str("10.0.0.1")}))
	base := map[string]property.Value{"connection": conn, "create": str("a"),
		"triggers": property.New([]property.Value{str("t1")})}
	with := func(k string, v property.Value) property.Map {
		n := m(base)
		return n.Set(k, v)
	}
	for _, typ := range []string{localCmd, remoteCmd} {
		if typ == localCmd {
			delete(base, "connection")
		} else {
			base["connection"] = conn
		}
		changed, _ := diffKinds(t, s, typ, m(base), m(base))
		if changed {
			t.Errorf("%s: identical inputs report changes", typ)
		}
		changed, kinds := diffKinds(t, s, typ, m(base), with("create", str("b")))
		if !changed || kinds["create"] != p.Update {
			t.Errorf("%s: a new create is an update, got %v", typ, kinds)
		}
		changed, kinds = diffKinds(t, s, typ, m(base), with("delete", str("cleanup")))
		if !changed || kinds["delete"] != p.Add {
			t.Errorf("%s: a new delete is an in-place change, got %v", typ, kinds)
		}
		changed, kinds = diffKinds(t, s, typ, m(base), with("triggers", property.New([]property.Value{str("t2")})))
		replaced := false
		for k, v := range kinds {
			if strings.HasPrefix(k, "triggers") && (v == p.UpdateReplace || v == p.AddReplace || v == p.DeleteReplace) {
				replaced = true
			}
		}
		if !changed || !replaced {
			t.Errorf("%s: a trigger change replaces, got %v", typ, kinds)
		}
	}
	// From no triggers to some is a replacement too.
	noTriggers := m(base).Delete("triggers")
	if _, kinds := diffKinds(t, s, remoteCmd, noTriggers, m(base)); kinds["triggers"] != p.AddReplace {
		t.Errorf("adding triggers replaces, got %v", kinds)
	}
	changed, kinds := diffKinds(t, s, remoteCmd, m(base),
		with("connection", property.New(m(map[string]property.Value{"host": str("10.0.0.2")}))))
	for k, v := range kinds {
		if v == p.UpdateReplace || v == p.AddReplace || v == p.DeleteReplace {
			t.Errorf("a connection change must not replace: %s %v", k, v)
		}
	}
	if !changed {
		t.Error("a connection change is a change")
	}
}

func TestLocalLifecycle(t *testing.T) {
	s := server(t)
	dir := t.TempDir()
	u := urn(localCmd, "l")
	inputs := m(map[string]property.Value{
		"create":      str(`read -r x; echo "c:$x:$KHA_V:$(basename "$PWD")"`),
		"update":      str(`echo "u after $PULUMI_COMMAND_STDOUT"`),
		"delete":      str(`echo "$PULUMI_COMMAND_STDOUT" > deleted`),
		"stdin":       str("hello\n").WithSecret(true),
		"environment": property.New(m(map[string]property.Value{"KHA_V": str("v1")})),
		"dir":         str(dir),
		"logging":     str("none"),
	})
	ck, err := s.Check(p.CheckRequest{Urn: u, Inputs: inputs})
	if err != nil || len(ck.Failures) > 0 {
		t.Fatal(err, ck.Failures)
	}

	// A preview runs nothing, and the outputs are not known yet.
	prev, err := s.Create(p.CreateRequest{Urn: u, Properties: ck.Inputs, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !prev.Properties.Get("stdout").IsComputed() {
		t.Errorf("preview stdout = %v, want unknown", prev.Properties.Get("stdout"))
	}

	cr, err := s.Create(p.CreateRequest{Urn: u, Properties: ck.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	if got := cr.Properties.Get("stdout").AsString(); got != "c:hello:v1:"+filepath.Base(dir) {
		t.Fatalf("stdout %q", got)
	}
	if !cr.Properties.Get("stdin").Secret() {
		t.Error("a secret stdin is not secret in the state")
	}

	news := inputs.Set("environment", property.New(m(map[string]property.Value{"KHA_V": str("v2")})))
	ur, err := s.Update(p.UpdateRequest{ID: cr.ID, Urn: u, State: cr.Properties, OldInputs: inputs, Inputs: news})
	if err != nil {
		t.Fatal(err)
	}
	if got := ur.Properties.Get("stdout").AsString(); got != "u after c:hello:v1:"+filepath.Base(dir) {
		t.Fatalf("update stdout %q", got)
	}
	if err := s.Delete(p.DeleteRequest{ID: cr.ID, Urn: u, Properties: ur.Properties}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "deleted"))
	if err != nil || strings.TrimSpace(string(b)) != "u after c:hello:v1:"+filepath.Base(dir) {
		t.Fatalf("delete: %v %q", err, b)
	}
}

func TestLocalFailureCarriesOutput(t *testing.T) {
	s := server(t)
	_, err := s.Create(p.CreateRequest{Urn: urn(localCmd, "f"), Properties: m(map[string]property.Value{
		"create": str("echo some context; echo bad thing >&2; exit 4"),
	})})
	if err == nil || !strings.Contains(err.Error(), "bad thing") || !strings.Contains(err.Error(), "some context") ||
		!strings.Contains(err.Error(), "exit 4") {
		t.Fatalf("%v", err)
	}
}

func TestLocalInterpreterAndAssets(t *testing.T) {
	s := server(t)
	dir := t.TempDir()
	resp, err := s.Create(p.CreateRequest{Urn: urn(localCmd, "a"), Properties: m(map[string]property.Value{
		"create":      str("mkdir -p out/sub && echo 1 > out/a.txt && echo 2 > out/sub/b.txt && echo 3 > out/secret.key; echo done"),
		"interpreter": property.New([]property.Value{str("/bin/bash"), str("-c")}),
		"dir":         str(dir),
		"assetPaths":  property.New([]property.Value{str("out/**"), str("!**.key")}),
	})})
	if err != nil {
		t.Fatal(err)
	}
	assets := resp.Properties.Get("assets").AsMap()
	if assets.Len() != 2 {
		t.Fatalf("assets %v", assets)
	}
	if _, ok := assets.GetOk("out/sub/b.txt"); !ok {
		t.Fatalf("assets %v", assets)
	}
}

func TestRemoteSecretsAndPreview(t *testing.T) {
	s := server(t)
	u := urn(remoteCmd, "r")
	// As the SDK sends it: the whole connection is a secret, and stdin too.
	inputs := m(map[string]property.Value{
		"connection": property.New(m(map[string]property.Value{
			"host":       str("192.0.2.1"), // TEST-NET: nothing is dialled in a preview
			"privateKey": str("-----BEGIN OPENSSH PRIVATE KEY-----"),
		})).WithSecret(true),
		"create": str("kubeadm join --config /etc/kubeadm/join.yaml"),
		"stdin":  str("bootstrap-token").WithSecret(true),
	})
	ck, err := s.Check(p.CheckRequest{Urn: u, Inputs: inputs})
	if err != nil || len(ck.Failures) > 0 {
		t.Fatal(err, ck.Failures)
	}
	conn := ck.Inputs.Get("connection")
	if !conn.HasSecrets() {
		t.Fatal("connection lost its secretness in Check")
	}
	// Defaults are applied.
	cm := conn.AsMap()
	if cm.Get("port").AsNumber() != 22 || cm.Get("user").AsString() != "root" || cm.Get("dialErrorLimit").AsNumber() != 10 {
		t.Errorf("defaults: %v", cm)
	}
	resp, err := s.Create(p.CreateRequest{Urn: u, Properties: ck.Inputs, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Properties.Get("connection").HasSecrets() || !resp.Properties.Get("stdin").Secret() {
		t.Errorf("secrets lost in outputs: %v", resp.Properties)
	}

	// Even a connection sent in the clear is secret in the state (the schema
	// marks connection and its privateKey/password secret).
	plain := inputs.Set("connection", property.New(m(map[string]property.Value{
		"host": str("192.0.2.1"), "privateKey": str("k"), "port": property.New(22.0), "user": str("root"),
	})))
	ck, err = s.Check(p.CheckRequest{Urn: u, Inputs: plain})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checked: %v", ck.Inputs.Get("connection"))
	resp, err = s.Create(p.CreateRequest{Urn: u, Properties: ck.Inputs, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Properties.Get("connection").HasSecrets() {
		t.Errorf("connection not secret: %v", resp.Properties.Get("connection"))
	}
}

func TestCopyToRemoteCheckRejectsURIAssets(t *testing.T) {
	s := server(t)
	asset := &presource.Asset{Sig: presource.AssetSig, URI: "https://example.invalid/f", Hash: "00"}
	ck, err := s.Check(p.CheckRequest{Urn: urn("command:remote:CopyToRemote", "c"), Inputs: m(map[string]property.Value{
		"connection": property.New(m(map[string]property.Value{"host": str("h")})),
		"remotePath": str("/x"),
		"source":     property.New(property.Asset(asset)),
	})})
	if err != nil {
		t.Fatal(err)
	}
	if len(ck.Failures) == 0 {
		t.Fatal("a URI asset must be refused")
	}
}

func TestLocalRunInvoke(t *testing.T) {
	s := server(t)
	resp, err := s.Invoke(p.InvokeRequest{Token: "command:local:run", Args: m(map[string]property.Value{
		"command":     str("echo $KHA_X"),
		"environment": property.New(m(map[string]property.Value{"KHA_X": str("invoked")})),
	})})
	if err != nil || len(resp.Failures) > 0 {
		t.Fatal(err, resp.Failures)
	}
	if got := resp.Return.Get("stdout").AsString(); got != "invoked" {
		t.Fatalf("%q", got)
	}
}

func TestSchemaTokensAndSecrets(t *testing.T) {
	spec, err := p.GetSchema(context.Background(), Name, Version, New())
	if err != nil {
		t.Fatal(err)
	}
	if spec.Name != "command" || spec.Version != Version {
		t.Fatalf("%s %s", spec.Name, spec.Version)
	}
	for _, tok := range []string{localCmd, remoteCmd, "command:remote:CopyToRemote", "command:remote:CopyFile"} {
		if _, ok := spec.Resources[tok]; !ok {
			t.Errorf("missing resource %s", tok)
		}
	}
	if _, ok := spec.Functions["command:local:run"]; !ok {
		t.Error("missing command:local:run")
	}
	conn := spec.Types["command:remote:Connection"]
	for _, k := range []string{"privateKey", "password", "privateKeyPassword"} {
		if !conn.Properties[k].Secret {
			t.Errorf("Connection.%s is not secret", k)
		}
	}
	rc := spec.Resources[remoteCmd]
	if !rc.InputProperties["connection"].Secret || !rc.InputProperties["triggers"].ReplaceOnChanges {
		t.Error("remote Command: connection secret / triggers replaceOnChanges")
	}
}
