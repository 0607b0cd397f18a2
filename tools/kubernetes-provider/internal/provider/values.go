package provider

import (
	"math"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// unknown stands for a value that is not known yet (a preview with inputs
// computed from resources that do not exist yet).
type unknown struct{}

// Unknown is the plain-value form of a computed property.
var Unknown = unknown{}

// toPlain converts a property map to JSON-like Go values (map[string]any,
// []any, string, bool, int64, float64), the form Kubernetes objects take.
// Secrets are unwrapped; unknowns become Unknown; nulls are dropped from maps.
func toPlain(m resource.PropertyMap) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if p, ok := plainValue(v); ok {
			out[string(k)] = p
		}
	}
	return out
}

func plainValue(v resource.PropertyValue) (any, bool) {
	switch {
	case v.IsNull():
		return nil, false
	case v.IsBool():
		return v.BoolValue(), true
	case v.IsNumber():
		f := v.NumberValue()
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), true
		}
		return f, true
	case v.IsString():
		return v.StringValue(), true
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			p, ok := plainValue(e)
			if !ok {
				p = nil
			}
			out = append(out, p)
		}
		return out, true
	case v.IsObject():
		return toPlain(v.ObjectValue()), true
	case v.IsSecret():
		return plainValue(v.SecretValue().Element)
	case v.IsComputed():
		return Unknown, true
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return Unknown, true
		}
		return plainValue(o.Element)
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		if id, ok := ref.IDString(); ok {
			return id, true
		}
		return string(ref.URN), true
	default: // assets and archives have no meaning in a Kubernetes object
		return nil, false
	}
}

// hasUnknown reports whether a plain value contains Unknown anywhere.
func hasUnknown(v any) bool {
	switch t := v.(type) {
	case unknown:
		return true
	case map[string]any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	}
	return false
}

// fromPlain converts a Kubernetes object back to a property map; Unknown
// becomes a computed value.
func fromPlain(m map[string]any) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[resource.PropertyKey(k)] = propValue(v)
	}
	return out
}

func propValue(v any) resource.PropertyValue {
	switch t := v.(type) {
	case unknown:
		return resource.MakeComputed(resource.NewProperty(""))
	case map[string]any:
		return resource.NewProperty(fromPlain(t))
	case []any:
		arr := make([]resource.PropertyValue, len(t))
		for i, e := range t {
			arr[i] = propValue(e)
		}
		return resource.NewProperty(arr)
	case int64:
		return resource.NewProperty(float64(t))
	case int:
		return resource.NewProperty(float64(t))
	case int32:
		return resource.NewProperty(float64(t))
	default:
		return resource.NewPropertyValue(v)
	}
}

// secretKeys lists the top-level keys of m that hold a secret anywhere.
func secretKeys(m resource.PropertyMap) map[string]bool {
	out := map[string]bool{}
	for k, v := range m {
		if v.ContainsSecrets() {
			out[string(k)] = true
		}
	}
	return out
}

// markSecret wraps the given top-level keys of m as secrets.
func markSecret(m resource.PropertyMap, keys map[string]bool) {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if v, ok := m[resource.PropertyKey(k)]; ok && !v.IsSecret() && !v.IsNull() {
			m[resource.PropertyKey(k)] = resource.MakeSecret(v)
		}
	}
}

// getPath returns the value at a path of nested maps.
func getPath(obj map[string]any, path ...string) (any, bool) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func getString(obj map[string]any, path ...string) string {
	v, _ := getPath(obj, path...)
	s, _ := v.(string)
	return s
}

func getMap(obj map[string]any, path ...string) map[string]any {
	v, _ := getPath(obj, path...)
	m, _ := v.(map[string]any)
	return m
}

// getInt reads an integer field (JSON numbers decode as int64 or float64).
func getInt(obj map[string]any, path ...string) (int64, bool) {
	v, ok := getPath(obj, path...)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		return int64(n), true
	}
	return 0, false
}

// ensureMap returns obj[key] as a map, creating it when absent.
func ensureMap(obj map[string]any, key string) map[string]any {
	if m, ok := obj[key].(map[string]any); ok {
		return m
	}
	m := map[string]any{}
	obj[key] = m
	return m
}
