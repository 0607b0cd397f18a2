package provider

import (
	"testing"
)

func mustKind(t *testing.T, tok string) Kind {
	t.Helper()
	k, err := ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func obj(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func md(name, ns string) map[string]any {
	m := obj("name", name)
	if ns != "" {
		m["namespace"] = ns
	}
	return m
}

func ds(selector map[string]any, image string) map[string]any {
	return obj("apiVersion", "apps/v1", "kind", "DaemonSet", "metadata", md("lb", "ingress"),
		"spec", obj("selector", obj("matchLabels", selector),
			"template", obj("spec", obj("containers", []any{obj("name", "c", "image", image)}))))
}

func paths(res DiffResult) map[string]Change {
	out := map[string]Change{}
	for _, c := range res.Changes {
		out[c.Path] = c
	}
	return out
}

func TestDiffNoChange(t *testing.T) {
	k := mustKind(t, "kubernetes:apps/v1:DaemonSet")
	a := ds(obj("app", "x"), "haproxy:3")
	res := Diff(k, a, ds(obj("app", "x"), "haproxy:3"), "default")
	if len(res.Changes) != 0 || res.Replace {
		t.Fatalf("want no change, got %+v", res)
	}
	// numbers from the engine (float64) and from JSON (int64) compare equal
	if !equalValues(obj("port", int64(80)), obj("port", float64(80))) {
		t.Fatal("80 != 80.0")
	}
}

func TestDiffInPlaceUpdate(t *testing.T) {
	k := mustKind(t, "kubernetes:apps/v1:DaemonSet")
	res := Diff(k, ds(obj("app", "x"), "haproxy:3"), ds(obj("app", "x"), "haproxy:3.1"), "default")
	c, ok := paths(res)["spec.template.spec.containers[0].image"]
	if !ok || c.Kind != Updated || c.Replace || res.Replace {
		t.Fatalf("want an in-place image update, got %+v", res)
	}
}

func TestDiffDaemonSetSelectorReplaces(t *testing.T) {
	k := mustKind(t, "kubernetes:apps/v1:DaemonSet")
	res := Diff(k, ds(obj("app", "x"), "i"), ds(obj("app", "y"), "i"), "default")
	c := paths(res)["spec.selector.matchLabels.app"]
	if !c.Replace || !res.Replace || !res.DeleteBeforeReplace {
		t.Fatalf("want replace (delete first: same name), got %+v", res)
	}
}

func TestDiffServiceSelectorIsMutable(t *testing.T) {
	k := mustKind(t, "kubernetes:core/v1:Service")
	svc := func(app string, nodePort int64) map[string]any {
		return obj("metadata", md("s", ""), "spec", obj("type", "NodePort", "selector", obj("app", app),
			"ports", []any{obj("port", int64(80), "nodePort", nodePort)}))
	}
	res := Diff(k, svc("a", 30800), svc("b", 30801), "default")
	if res.Replace || len(res.Changes) != 2 {
		t.Fatalf("want 2 in-place changes, got %+v", res)
	}
	if _, ok := paths(res)["spec.ports[0].nodePort"]; !ok {
		t.Fatalf("missing nodePort change: %+v", res)
	}
	// clusterIP is immutable
	a, b := svc("a", 1), svc("a", 1)
	b["spec"].(map[string]any)["clusterIP"] = "10.96.0.10"
	if res := Diff(k, a, b, "default"); !res.Replace {
		t.Fatalf("clusterIP change must replace: %+v", res)
	}
}

func TestDiffConfigMapDataInPlace(t *testing.T) {
	k := mustKind(t, "kubernetes:core/v1:ConfigMap")
	a := obj("metadata", md("cm", "ns"), "data", obj("haproxy.cfg", "a"))
	b := obj("metadata", md("cm", "ns"), "data", obj("haproxy.cfg", "b"))
	res := Diff(k, a, b, "default")
	c, ok := paths(res)[`data["haproxy.cfg"]`]
	if !ok || c.Replace || res.Replace {
		t.Fatalf("want in-place data update, got %+v", res)
	}
	if res := Diff(k, a, b, "default", DiffOptions{ReplaceConfigMapData: true}); !res.Replace || !res.DeleteBeforeReplace {
		t.Fatalf("enableConfigMapMutable=false: data change must replace: %+v", res)
	}
	if res := Diff(k, a, b, "default", DiffOptions{ReplaceSecretData: true}); res.Replace {
		t.Fatalf("the Secret option does not apply to ConfigMaps: %+v", res)
	}
	a["immutable"], b["immutable"] = true, true
	if res := Diff(k, a, b, "default"); !res.Replace {
		t.Fatalf("immutable ConfigMap data change must replace: %+v", res)
	}
}

func TestDiffNameAndNamespace(t *testing.T) {
	k := mustKind(t, "kubernetes:core/v1:ConfigMap")
	res := Diff(k, obj("metadata", md("a", "")), obj("metadata", md("b", "")), "default")
	if !res.Replace || res.DeleteBeforeReplace {
		t.Fatalf("rename: want replace, create-first, got %+v", res)
	}
	res = Diff(k, obj("metadata", md("a", "x")), obj("metadata", md("a", "y")), "default")
	if !res.Replace || res.DeleteBeforeReplace {
		t.Fatalf("namespace move: want replace, got %+v", res)
	}
	// absent namespace == the default namespace
	res = Diff(k, obj("metadata", md("a", "")), obj("metadata", md("a", "default")), "default")
	if res.Replace {
		t.Fatalf("explicit default namespace must not replace: %+v", res)
	}
	// unknown name (preview): replace
	res = Diff(k, obj("metadata", md("a", "")), obj("metadata", obj("name", Unknown)), "default")
	if !res.Replace {
		t.Fatalf("unknown name must replace: %+v", res)
	}
	// labels only: update
	res = Diff(k, obj("metadata", md("a", "")), obj("metadata", obj("name", "a", "labels", obj("x", "1"))), "default")
	if res.Replace || len(res.Changes) != 1 || res.Changes[0].Kind != Added {
		t.Fatalf("label add: %+v", res)
	}
}

func TestDiffPatchKinds(t *testing.T) {
	k := mustKind(t, "kubernetes:core/v1:NodePatch")
	a := obj("metadata", obj("name", "n1", "labels", obj("role", "loadbalancer")))
	b := obj("metadata", obj("name", "n1"))
	res := Diff(k, a, b, "default")
	if res.Replace || len(res.Changes) != 1 || res.Changes[0].Kind != Deleted {
		t.Fatalf("label removal: %+v", res)
	}
	if res := Diff(k, a, obj("metadata", obj("name", "n2")), "default"); !res.Replace {
		t.Fatalf("another node: want replace: %+v", res)
	}
}

func TestDiffArrays(t *testing.T) {
	k := mustKind(t, "kubernetes:core/v1:ConfigMap")
	res := Diff(k, obj("x", []any{"a"}), obj("x", []any{"a", "b"}), "d")
	if c, ok := paths(res)["x[1]"]; !ok || c.Kind != Added {
		t.Fatalf("%+v", res)
	}
}

func TestDiffResponseKinds(t *testing.T) {
	k := mustKind(t, "kubernetes:apps/v1:DaemonSet")
	resp := diffResponse(Diff(k, ds(obj("app", "x"), "i"), ds(obj("app", "y"), "j"), "default"))
	if len(resp.Replaces) != 1 || resp.Replaces[0] != "spec.selector.matchLabels.app" || !resp.DeleteBeforeReplace {
		t.Fatalf("%+v", resp)
	}
	if got := resp.DetailedDiff["spec.template.spec.containers[0].image"].GetKind().String(); got != "UPDATE" {
		t.Fatalf("image: %s", got)
	}
	if got := resp.DetailedDiff["spec.selector.matchLabels.app"].GetKind().String(); got != "UPDATE_REPLACE" {
		t.Fatalf("selector: %s", got)
	}
	if len(resp.Diffs) != 1 || resp.Diffs[0] != "spec" {
		t.Fatalf("diffs %v", resp.Diffs)
	}
}
