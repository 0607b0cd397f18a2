package provider

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Kind is what a resource token names: the Kubernetes GroupVersionKind and
// whether it is a Patch resource (kubernetes:core/v1:NodePatch patches an
// existing Node).
type Kind struct {
	GVK   schema.GroupVersionKind
	Patch bool
}

// APIVersion is the apiVersion field of objects of this kind ("v1", "apps/v1").
func (k Kind) APIVersion() string { return k.GVK.GroupVersion().String() }

// ParseToken maps a resource token, kubernetes:<group>/<version>:<Kind>, to a
// Kind. The group "core" is the legacy core group (apiVersion "v1"). Kinds
// ending in "Patch" are the SDK's Patch resources of the kind without that
// suffix. Custom resources use their own group: kubernetes:example.com/v1:Widget.
func ParseToken(tok string) (Kind, error) {
	parts := strings.SplitN(tok, ":", 3)
	if len(parts) != 3 || parts[0] != "kubernetes" || parts[1] == "" || parts[2] == "" {
		return Kind{}, fmt.Errorf("unsupported resource token %q: want kubernetes:<group>/<version>:<Kind>", tok)
	}
	gv, kind := parts[1], parts[2]
	var group, version string
	if i := strings.LastIndex(gv, "/"); i >= 0 {
		group, version = gv[:i], gv[i+1:]
	} else {
		version = gv // kubernetes:v1:Pod (apiVersion "v1" as written in a manifest)
	}
	if group == "core" {
		group = ""
	}
	if version == "" || strings.Contains(group, "/") {
		return Kind{}, fmt.Errorf("unsupported resource token %q: want kubernetes:<group>/<version>:<Kind>", tok)
	}
	switch group {
	case "yaml", "helm.sh", "kustomize", "kubernetes":
		return Kind{}, fmt.Errorf("resource token %q is a component of the SDK, not served by this provider", tok)
	}
	k := Kind{GVK: schema.GroupVersionKind{Group: group, Version: version, Kind: kind}}
	if strings.HasSuffix(kind, "Patch") && len(kind) > len("Patch") {
		k.GVK.Kind = strings.TrimSuffix(kind, "Patch")
		k.Patch = true
	}
	return k, nil
}
