package provider

import (
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Annotations understood by the provider (the upstream provider's names).
const (
	annSkipAwait       = "pulumi.com/skipAwait"
	annTimeoutSeconds  = "pulumi.com/timeoutSeconds"
	annPatchForce      = "pulumi.com/patchForce"
	annPatchManager    = "pulumi.com/patchFieldManager"
	annAutonamed       = "pulumi.com/autonamed"
	annDeletePolicy    = "pulumi.com/deletionPropagationPolicy"
	defaultAwaitPeriod = 10 * time.Minute
)

// readyFunc reports whether a live object is ready; a non-nil error means it
// will never be (a failed Job).
type readyFunc func(obj map[string]any) (bool, string, error)

var awaiters = map[schema.GroupKind]readyFunc{
	{Group: "apps", Kind: "Deployment"}:  deploymentReady,
	{Group: "apps", Kind: "DaemonSet"}:   daemonSetReady,
	{Group: "apps", Kind: "StatefulSet"}: statefulSetReady,
	{Group: "", Kind: "Namespace"}:       namespaceReady,
	{Group: "", Kind: "Service"}:         serviceReady,
	{Group: "", Kind: "Pod"}:             podReady,
	{Group: "batch", Kind: "Job"}:        jobReady,
}

// HasAwaiter reports whether objects of this kind are awaited after create/update.
func HasAwaiter(gk schema.GroupKind) bool { _, ok := awaiters[gk]; return ok }

// Ready evaluates the readiness condition of a live object; kinds without a
// condition are ready at once.
func Ready(gk schema.GroupKind, obj map[string]any) (bool, string, error) {
	f, ok := awaiters[gk]
	if !ok {
		return true, "", nil
	}
	return f(obj)
}

// generationObserved: the controller has seen the current spec.
func generationObserved(obj map[string]any) (bool, string) {
	gen, _ := getInt(obj, "metadata", "generation")
	obs, ok := getInt(obj, "status", "observedGeneration")
	if !ok || obs < gen {
		return false, fmt.Sprintf("waiting for the controller to observe generation %d", gen)
	}
	return true, ""
}

func deploymentReady(obj map[string]any) (bool, string, error) {
	if ok, msg := generationObserved(obj); !ok {
		return false, msg, nil
	}
	want, ok := getInt(obj, "spec", "replicas")
	if !ok {
		want = 1
	}
	for _, c := range conditions(obj) {
		if c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded" {
			return false, "", fmt.Errorf("deployment exceeded its progress deadline: %v", c["message"])
		}
	}
	updated, _ := getInt(obj, "status", "updatedReplicas")
	available, _ := getInt(obj, "status", "availableReplicas")
	total, _ := getInt(obj, "status", "replicas")
	if updated < want || available < want || total > want {
		return false, fmt.Sprintf("%d/%d replicas updated, %d/%d available, %d total", updated, want, available, want, total), nil
	}
	return true, "", nil
}

func daemonSetReady(obj map[string]any) (bool, string, error) {
	if ok, msg := generationObserved(obj); !ok {
		return false, msg, nil
	}
	desired, _ := getInt(obj, "status", "desiredNumberScheduled")
	updated, _ := getInt(obj, "status", "updatedNumberScheduled")
	ready, _ := getInt(obj, "status", "numberReady")
	if updated < desired || ready < desired {
		return false, fmt.Sprintf("%d/%d pods updated, %d/%d ready", updated, desired, ready, desired), nil
	}
	return true, "", nil
}

func statefulSetReady(obj map[string]any) (bool, string, error) {
	if ok, msg := generationObserved(obj); !ok {
		return false, msg, nil
	}
	want, ok := getInt(obj, "spec", "replicas")
	if !ok {
		want = 1
	}
	ready, _ := getInt(obj, "status", "readyReplicas")
	updated, _ := getInt(obj, "status", "updatedReplicas")
	cur, upd := getString(obj, "status", "currentRevision"), getString(obj, "status", "updateRevision")
	if ready < want || (getString(obj, "spec", "updateStrategy", "type") != "OnDelete" && (updated < want || cur != upd)) {
		return false, fmt.Sprintf("%d/%d replicas ready, %d/%d updated", ready, want, updated, want), nil
	}
	return true, "", nil
}

func namespaceReady(obj map[string]any) (bool, string, error) {
	if phase := getString(obj, "status", "phase"); phase != "Active" {
		return false, fmt.Sprintf("namespace phase is %q", phase), nil
	}
	return true, "", nil
}

func serviceReady(obj map[string]any) (bool, string, error) {
	typ := getString(obj, "spec", "type")
	if typ == "ExternalName" {
		return true, "", nil
	}
	if getString(obj, "spec", "clusterIP") == "" {
		return false, "waiting for a cluster IP", nil
	}
	if typ == "NodePort" || typ == "LoadBalancer" {
		ports, _ := getPath(obj, "spec", "ports")
		list, _ := ports.([]any)
		for _, p := range list {
			pm, _ := p.(map[string]any)
			if n, _ := getInt(pm, "nodePort"); n == 0 {
				return false, "waiting for node ports", nil
			}
		}
	}
	if typ == "LoadBalancer" {
		ing, _ := getPath(obj, "status", "loadBalancer", "ingress")
		if l, _ := ing.([]any); len(l) == 0 {
			return false, "waiting for a load balancer address (status.loadBalancer.ingress)", nil
		}
	}
	return true, "", nil
}

func podReady(obj map[string]any) (bool, string, error) {
	switch getString(obj, "status", "phase") {
	case "Succeeded":
		return true, "", nil
	case "Failed":
		return false, "", fmt.Errorf("pod failed: %s", getString(obj, "status", "message"))
	}
	for _, c := range conditions(obj) {
		if c["type"] == "Ready" && c["status"] == "True" {
			return true, "", nil
		}
	}
	return false, "waiting for the pod to be Ready", nil
}

func jobReady(obj map[string]any) (bool, string, error) {
	for _, c := range conditions(obj) {
		if c["status"] != "True" {
			continue
		}
		switch c["type"] {
		case "Complete":
			return true, "", nil
		case "Failed":
			return false, "", fmt.Errorf("job failed: %v", c["message"])
		}
	}
	return false, "waiting for the job to complete", nil
}

func conditions(obj map[string]any) []map[string]any {
	v, _ := getPath(obj, "status", "conditions")
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func annotation(obj map[string]any, key string) string {
	return getString(obj, "metadata", "annotations", key)
}

// skipAwait: the pulumi.com/skipAwait annotation is "true".
func skipAwait(obj map[string]any) bool { return annotation(obj, annSkipAwait) == "true" }

// awaitTimeout: pulumi.com/timeoutSeconds, else the engine's custom timeout
// (seconds, 0 = none), else 10 minutes.
func awaitTimeout(obj map[string]any, engineSeconds float64) (time.Duration, error) {
	if s := annotation(obj, annTimeoutSeconds); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("annotation %s: %q is not a positive number of seconds", annTimeoutSeconds, s)
		}
		return time.Duration(n) * time.Second, nil
	}
	if engineSeconds > 0 {
		return time.Duration(engineSeconds * float64(time.Second)), nil
	}
	return defaultAwaitPeriod, nil
}
