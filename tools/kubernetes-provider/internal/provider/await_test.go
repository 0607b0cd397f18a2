package provider

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestAwaitDaemonSet(t *testing.T) {
	gk := schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	mk := func(gen, obs, desired, updated, ready int64) map[string]any {
		return obj("metadata", obj("generation", gen), "status", obj("observedGeneration", obs,
			"desiredNumberScheduled", desired, "updatedNumberScheduled", updated, "numberReady", ready))
	}
	for _, c := range []struct {
		o    map[string]any
		want bool
	}{
		{mk(2, 1, 3, 3, 3), false},                            // spec change not observed yet
		{mk(2, 2, 3, 2, 3), false},                            // rollout in progress
		{mk(2, 2, 3, 3, 2), false},                            // a pod not ready
		{mk(2, 2, 3, 3, 3), true},                             // done
		{mk(1, 1, 0, 0, 0), true},                             // no node matches: nothing to wait for
		{obj("metadata", obj("generation", int64(1))), false}, // no status yet
	} {
		ok, msg, err := Ready(gk, c.o)
		if err != nil || ok != c.want {
			t.Errorf("%v: got %v %q %v, want %v", c.o, ok, msg, err, c.want)
		}
	}
}

func TestAwaitDeployment(t *testing.T) {
	gk := schema.GroupKind{Group: "apps", Kind: "Deployment"}
	mk := func(replicas any, updated, available, total int64) map[string]any {
		spec := obj()
		if replicas != nil {
			spec["replicas"] = replicas
		}
		return obj("metadata", obj("generation", int64(3)), "spec", spec, "status", obj("observedGeneration", int64(3),
			"updatedReplicas", updated, "availableReplicas", available, "replicas", total))
	}
	if ok, _, _ := Ready(gk, mk(int64(2), 2, 1, 2)); ok {
		t.Error("1/2 available must not be ready")
	}
	if ok, _, _ := Ready(gk, mk(int64(2), 2, 2, 3)); ok {
		t.Error("an old replica still running must not be ready")
	}
	if ok, _, _ := Ready(gk, mk(int64(2), 2, 2, 2)); !ok {
		t.Error("2/2 must be ready")
	}
	if ok, _, _ := Ready(gk, mk(nil, 1, 1, 1)); !ok {
		t.Error("default 1 replica")
	}
	failed := mk(int64(1), 0, 0, 1)
	failed["status"].(map[string]any)["conditions"] = []any{obj("type", "Progressing", "status", "False", "reason", "ProgressDeadlineExceeded")}
	if _, _, err := Ready(gk, failed); err == nil {
		t.Error("progress deadline exceeded must fail")
	}
}

func TestAwaitNamespaceServiceJobOthers(t *testing.T) {
	ns := schema.GroupKind{Kind: "Namespace"}
	if ok, _, _ := Ready(ns, obj("status", obj("phase", "Terminating"))); ok {
		t.Error("Terminating namespace")
	}
	if ok, _, _ := Ready(ns, obj("status", obj("phase", "Active"))); !ok {
		t.Error("Active namespace")
	}
	svc := schema.GroupKind{Kind: "Service"}
	np := func(ip string, ports ...int64) map[string]any {
		var ps []any
		for _, p := range ports {
			ps = append(ps, obj("port", int64(80), "nodePort", p))
		}
		return obj("spec", obj("type", "NodePort", "clusterIP", ip, "ports", ps))
	}
	if ok, _, _ := Ready(svc, np("", 30800)); ok {
		t.Error("no cluster IP yet")
	}
	if ok, _, _ := Ready(svc, np("10.96.0.5", 30800, 0)); ok {
		t.Error("a node port not assigned")
	}
	if ok, _, _ := Ready(svc, np("10.96.0.5", 30800, 30443)); !ok {
		t.Error("NodePort service ready")
	}
	if ok, _, _ := Ready(svc, obj("spec", obj("type", "ClusterIP", "clusterIP", "None"))); !ok {
		t.Error("headless service ready")
	}
	if ok, _, _ := Ready(svc, obj("spec", obj("type", "ExternalName"))); !ok {
		t.Error("ExternalName ready")
	}
	lb := obj("spec", obj("type", "LoadBalancer", "clusterIP", "10.0.0.1", "ports", []any{obj("nodePort", int64(31000))}))
	if ok, _, _ := Ready(svc, lb); ok {
		t.Error("LoadBalancer without ingress")
	}
	job := schema.GroupKind{Group: "batch", Kind: "Job"}
	if _, _, err := Ready(job, obj("status", obj("conditions", []any{obj("type", "Failed", "status", "True")}))); err == nil {
		t.Error("failed job must error")
	}
	if ok, _, _ := Ready(job, obj("status", obj("conditions", []any{obj("type", "Complete", "status", "True")}))); !ok {
		t.Error("complete job")
	}
	if ok, _, _ := Ready(schema.GroupKind{Kind: "ConfigMap"}, obj()); !ok {
		t.Error("ConfigMap has no await")
	}
}

func TestAwaitTimeoutAndSkip(t *testing.T) {
	o := obj("metadata", obj("annotations", obj(annTimeoutSeconds, "42", annSkipAwait, "true")))
	if d, err := awaitTimeout(o, 5); err != nil || d != 42*time.Second {
		t.Errorf("annotation wins: %v %v", d, err)
	}
	if !skipAwait(o) {
		t.Error("skipAwait")
	}
	if d, _ := awaitTimeout(obj(), 5); d != 5*time.Second {
		t.Errorf("engine timeout: %v", d)
	}
	if d, _ := awaitTimeout(obj(), 0); d != 10*time.Minute {
		t.Errorf("default: %v", d)
	}
	if _, err := awaitTimeout(obj("metadata", obj("annotations", obj(annTimeoutSeconds, "x"))), 0); err == nil ||
		!strings.Contains(err.Error(), annTimeoutSeconds) {
		t.Errorf("bad annotation: %v", err)
	}
}
