package provider

import (
	"reflect"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ChangeKind is how one property differs between the old and new inputs.
type ChangeKind int

const (
	Added ChangeKind = iota
	Deleted
	Updated
)

// Change is one differing property path.
type Change struct {
	Path    string // resource.PropertyPath syntax: spec.ports[0].nodePort, data["a.b"]
	Kind    ChangeKind
	Replace bool // the change cannot be made in place
}

// DiffResult is the provider's decision for Diff.
type DiffResult struct {
	Changes             []Change
	Replace             bool
	DeleteBeforeReplace bool
}

// immutableFields lists, per kind, the fields the API server refuses to
// change on an existing object: changing them replaces the resource.
var immutableFields = map[schema.GroupKind][][]string{
	{Group: "apps", Kind: "Deployment"}:  {{"spec", "selector"}},
	{Group: "apps", Kind: "ReplicaSet"}:  {{"spec", "selector"}},
	{Group: "apps", Kind: "DaemonSet"}:   {{"spec", "selector"}},
	{Group: "apps", Kind: "StatefulSet"}: {{"spec", "selector"}, {"spec", "serviceName"}, {"spec", "volumeClaimTemplates"}, {"spec", "podManagementPolicy"}},
	{Group: "batch", Kind: "Job"}:        {{"spec", "selector"}, {"spec", "template"}, {"spec", "completionMode"}},
	{Group: "", Kind: "Service"}:         {{"spec", "clusterIP"}},
	{Group: "", Kind: "Secret"}:          {{"type"}},
	{Group: "", Kind: "Pod"}:             {{"spec"}},
	{Group: "", Kind: "PersistentVolumeClaim"}: {
		{"spec", "accessModes"}, {"spec", "selector"}, {"spec", "storageClassName"},
		{"spec", "volumeName"}, {"spec", "volumeMode"}, {"spec", "dataSource"},
	},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        {{"roleRef"}},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: {{"roleRef"}},
	{Group: "storage.k8s.io", Kind: "StorageClass"}: {
		{"parameters"}, {"provisioner"}, {"reclaimPolicy"}, {"volumeBindingMode"},
	},
}

// ImmutableFields returns the immutable field paths of a kind (for docs and tests).
func ImmutableFields(gk schema.GroupKind) [][]string { return immutableFields[gk] }

// DiffOptions are the provider settings that change diff decisions.
type DiffOptions struct {
	// ReplaceConfigMapData / ReplaceSecretData: a change of a ConfigMap's
	// data/binaryData (a Secret's data/stringData/type) replaces it. Set when
	// the provider's enableConfigMapMutable / enableSecretMutable is
	// explicitly false (upstream's default); unset, they update in place.
	ReplaceConfigMapData bool
	ReplaceSecretData    bool
}

// Diff compares the old and new inputs of a resource of kind k. defaultNS is
// the namespace an object without metadata.namespace goes to.
func Diff(k Kind, olds, news map[string]any, defaultNS string, opts ...DiffOptions) DiffResult {
	var o DiffOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	var res DiffResult
	diffValues(resource.PropertyPath{}, olds, news, &res.Changes)

	var replacePaths []resource.PropertyPath
	// Identity: a different name or namespace is a different object.
	oldName, newName := getPath2(olds, "metadata", "name"), getPath2(news, "metadata", "name")
	if !equalValues(oldName, newName) {
		replacePaths = append(replacePaths, resource.PropertyPath{"metadata", "name"})
	}
	oldNS, newNS := effectiveNamespace(olds, defaultNS), effectiveNamespace(news, defaultNS)
	if !equalValues(oldNS, newNS) {
		replacePaths = append(replacePaths, resource.PropertyPath{"metadata", "namespace"})
	}
	if !k.Patch {
		for _, f := range immutableFields[k.GVK.GroupKind()] {
			if !equalValues(getPath2(olds, f...), getPath2(news, f...)) {
				replacePaths = append(replacePaths, toPropertyPath(f))
			}
		}
		// ConfigMaps and Secrets marked immutable cannot change their contents.
		isCM := k.GVK.Group == "" && k.GVK.Kind == "ConfigMap"
		isSecret := k.GVK.Group == "" && k.GVK.Kind == "Secret"
		if (isCM && o.ReplaceConfigMapData) || (isSecret && o.ReplaceSecretData) || ((isCM || isSecret) &&
			getPath2(olds, "immutable") == true) {
			for _, f := range []string{"data", "binaryData", "stringData", "immutable"} {
				if !equalValues(getPath2(olds, f), getPath2(news, f)) {
					replacePaths = append(replacePaths, resource.PropertyPath{f})
				}
			}
		}
	}
	for i := range res.Changes {
		for _, rp := range replacePaths {
			if pathOverlaps(res.Changes[i].Path, rp.String()) {
				res.Changes[i].Replace = true
			}
		}
	}
	for _, c := range res.Changes {
		if c.Replace {
			res.Replace = true
		}
	}
	// The same name in the same namespace cannot exist twice: delete first.
	if res.Replace && equalValues(oldName, newName) && equalValues(oldNS, newNS) {
		res.DeleteBeforeReplace = true
	}
	sort.Slice(res.Changes, func(i, j int) bool { return res.Changes[i].Path < res.Changes[j].Path })
	return res
}

func effectiveNamespace(obj map[string]any, def string) any {
	v, ok := getPath(obj, "metadata", "namespace")
	if !ok || v == "" {
		return def
	}
	return v
}

func getPath2(obj map[string]any, path ...string) any {
	v, _ := getPath(obj, path...)
	return v
}

func toPropertyPath(p []string) resource.PropertyPath {
	out := make(resource.PropertyPath, len(p))
	for i, s := range p {
		out[i] = s
	}
	return out
}

// pathOverlaps reports whether one property path is the other or inside it.
func pathOverlaps(a, b string) bool {
	return a == b || within(a, b) || within(b, a)
}

func within(inner, outer string) bool {
	return strings.HasPrefix(inner, outer) && len(inner) > len(outer) &&
		(inner[len(outer)] == '.' || inner[len(outer)] == '[')
}

// equalValues compares plain values; an unknown is equal to nothing.
func equalValues(a, b any) bool {
	if hasUnknown(a) || hasUnknown(b) {
		return false
	}
	return reflect.DeepEqual(normalizeNumbers(a), normalizeNumbers(b))
}

func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case int64:
		return float64(t)
	case int:
		return float64(t)
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = normalizeNumbers(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = normalizeNumbers(e)
		}
		return s
	}
	return v
}

func diffValues(path resource.PropertyPath, a, b any, out *[]Change) {
	am, aIsMap := a.(map[string]any)
	bm, bIsMap := b.(map[string]any)
	if aIsMap && bIsMap {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			p := append(append(resource.PropertyPath{}, path...), k)
			av, aok := am[k]
			bv, bok := bm[k]
			switch {
			case aok && !bok:
				*out = append(*out, Change{Path: p.String(), Kind: Deleted})
			case !aok && bok:
				*out = append(*out, Change{Path: p.String(), Kind: Added})
			default:
				diffValues(p, av, bv, out)
			}
		}
		return
	}
	as, aIsArr := a.([]any)
	bs, bIsArr := b.([]any)
	if aIsArr && bIsArr {
		for i := 0; i < len(as) || i < len(bs); i++ {
			p := append(append(resource.PropertyPath{}, path...), i)
			switch {
			case i >= len(bs):
				*out = append(*out, Change{Path: p.String(), Kind: Deleted})
			case i >= len(as):
				*out = append(*out, Change{Path: p.String(), Kind: Added})
			default:
				diffValues(p, as[i], bs[i], out)
			}
		}
		return
	}
	if !equalValues(a, b) {
		*out = append(*out, Change{Path: path.String(), Kind: Updated})
	}
}
