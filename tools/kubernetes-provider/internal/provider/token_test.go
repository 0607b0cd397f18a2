package provider

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestParseToken(t *testing.T) {
	cases := []struct {
		tok        string
		gvk        schema.GroupVersionKind
		apiVersion string
		patch      bool
	}{
		{"kubernetes:core/v1:Namespace", schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, "v1", false},
		{"kubernetes:core/v1:ConfigMap", schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, "v1", false},
		{"kubernetes:core/v1:NodePatch", schema.GroupVersionKind{Version: "v1", Kind: "Node"}, "v1", true},
		{"kubernetes:apps/v1:DaemonSet", schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}, "apps/v1", false},
		{"kubernetes:apps/v1:DeploymentPatch", schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, "apps/v1", true},
		{"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
			schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"}, "rbac.authorization.k8s.io/v1", false},
		{"kubernetes:networking.k8s.io/v1:Ingress", schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}, "networking.k8s.io/v1", false},
		{"kubernetes:example.com/v1alpha1:Widget", schema.GroupVersionKind{Group: "example.com", Version: "v1alpha1", Kind: "Widget"}, "example.com/v1alpha1", false},
	}
	for _, c := range cases {
		k, err := ParseToken(c.tok)
		if err != nil {
			t.Fatalf("%s: %v", c.tok, err)
		}
		if k.GVK != c.gvk || k.Patch != c.patch || k.APIVersion() != c.apiVersion {
			t.Errorf("%s: got %+v (apiVersion %s), want %+v patch=%v apiVersion %s", c.tok, k, k.APIVersion(), c.gvk, c.patch, c.apiVersion)
		}
	}
	for _, bad := range []string{"aws:s3/bucket:Bucket", "kubernetes:core/v1", "kubernetes::Pod", "kubernetes:yaml/v2:ConfigGroup",
		"kubernetes:helm.sh/v3:Release", "kubernetes:a/b/v1:X", "kubernetes:core/:Pod"} {
		if _, err := ParseToken(bad); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}
