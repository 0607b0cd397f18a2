// The resources components/serviceLoadBalancer.ts creates, with an explicit
// provider built from a kubeconfig: NodePatch, Namespace, ConfigMap, Service
// (NodePort), DaemonSet; plus an autonamed ConfigMap and a Secret.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

const config = new pulumi.Config();
const nodeName = config.require("nodeName");
const haproxyCfg = config.require("haproxyCfg");

// The kubeconfig goes through a dynamic resource, so that the first preview
// sees it unknown, like a kubeconfig read from a cluster the same program makes.
const passthrough: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: "kubeconfig", outs: { value: inputs.value } };
  },
  async diff(_id, olds, news) {
    return { changes: olds.value !== news.value };
  },
  async update(_id, _olds, news) {
    return { outs: { value: news.value } };
  },
};
class Passthrough extends pulumi.dynamic.Resource {
  public readonly value!: pulumi.Output<string>;
  constructor(name: string, value: pulumi.Input<string>) {
    super(passthrough, name, { value }, { additionalSecretOutputs: ["value"] });
  }
}
const kubeconfig = new Passthrough("kubeconfig", config.requireSecret("kubeconfig"));

const provider = new k8s.Provider("k8s", { kubeconfig: kubeconfig.value, enableServerSideApply: true });
const opts = { provider };

const label = new k8s.core.v1.NodePatch(
  "label",
  { metadata: { name: nodeName, labels: { role: "loadbalancer" }, annotations: { "pulumi.com/patchForce": "true" } } },
  opts,
);
const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "kha-kp-test" } }, opts);
const cm = new k8s.core.v1.ConfigMap(
  "config",
  { metadata: { name: "service-loadbalancer", namespace: ns.metadata.name }, data: { "haproxy.cfg": haproxyCfg } },
  opts,
);
const auto = new k8s.core.v1.ConfigMap("auto", { metadata: { namespace: ns.metadata.name }, data: { a: "b" } }, opts);
const secret = new k8s.core.v1.Secret(
  "creds",
  { metadata: { name: "creds", namespace: ns.metadata.name }, stringData: { password: config.requireSecret("password") } },
  opts,
);
// changing dsApp changes the DaemonSet's (immutable) selector: a replacement
const appLabels = { app: config.get("dsApp") ?? "service-loadbalancer" };
const ds = new k8s.apps.v1.DaemonSet(
  "ds",
  {
    // no kubelet runs in the test cluster: nothing would ever become ready
    metadata: { name: "service-loadbalancer", namespace: ns.metadata.name, labels: appLabels, annotations: { "pulumi.com/skipAwait": "true" } },
    spec: {
      selector: { matchLabels: appLabels },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: appLabels },
        spec: {
          nodeSelector: { role: "loadbalancer" },
          containers: [
            {
              name: "haproxy",
              image: "haproxy:3.0",
              ports: [{ name: "http", containerPort: 8080 }],
              volumeMounts: [{ name: "config", mountPath: "/usr/local/etc/haproxy", readOnly: true }],
            },
          ],
          volumes: [{ name: "config", configMap: { name: cm.metadata.name } }],
        },
      },
    },
  },
  { ...opts, dependsOn: [label] },
);
const svc = new k8s.core.v1.Service(
  "svc",
  {
    metadata: { name: "service-loadbalancer", namespace: ns.metadata.name, labels: appLabels },
    spec: { type: "NodePort", selector: appLabels, ports: [{ name: "http", port: 80, targetPort: 8080, nodePort: 30800 }] },
  },
  opts,
);

// probeAwait: a Deployment nothing will ever roll out (no controller runs), so
// the await times out after 3 s and the up fails, leaving it in the state.
if (config.getBoolean("probeAwait")) {
  new k8s.apps.v1.Deployment(
    "probe",
    {
      metadata: { namespace: ns.metadata.name, annotations: { "pulumi.com/timeoutSeconds": "3" } },
      spec: {
        selector: { matchLabels: { app: "probe" } },
        template: { metadata: { labels: { app: "probe" } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
      },
    },
    opts,
  );
}

export const nsName = ns.metadata.name;
export const nsPhase = ns.status.phase;
export const cmName = cm.metadata.name;
export const cmUid = cm.metadata.uid;
export const autoName = auto.metadata.name;
export const secretType = secret.type;
export const dsName = ds.metadata.name;
export const dsUid = ds.metadata.uid;
export const clusterIP = svc.spec.clusterIP;
export const nodePort = svc.spec.ports[0].nodePort;
export const nodeLabels = label.metadata.labels;
