// node-status.sh run for real (bash, openssl, base64) on a temporary root, with stub commands for
// the services it asks.

import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseClusterView, parseNodeStatus } from "./report";

const REPO = path.join(__dirname, "..");

function stub(dir: string, name: string, body: string): void {
  fs.writeFileSync(path.join(dir, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
}

describe("node-status.sh", () => {
  let root: string;
  let bin: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "kha-status-"));
    bin = path.join(root, "stubs");
    fs.mkdirSync(bin);
    const local = path.join(root, "usr/local/bin");
    fs.mkdirSync(local, { recursive: true });
    stub(local, "kubelet", 'echo "Kubernetes v1.34.1"');
    stub(
      local,
      "kubectl",
      'case "$*" in *"get nodes"*) echo \'{"items":[{"metadata":{"name":"n1"}}]}\';; *lease*) echo \'{"items":[]}\';; *apiservices*) echo \'{"items":[{"metadata":{"name":"v1beta1.metrics.k8s.io"},"spec":{"service":{"name":"metrics-server","namespace":"kube-system"}}}]}\';; esac',
    );
    stub(bin, "systemctl", '[ "$1 $3" = "is-active kubelet" ]');
    stub(bin, "curl", 'case "$*" in *10.0.0.1:6443*) printf 200;; *) printf 000; exit 28;; esac');
    stub(
      bin,
      "etcdctl",
      'echo \'[{"Endpoint":"https://10.0.0.1:2379","Status":{"header":{"cluster_id":17,"member_id":5},"leader":5,"dbSize":4096}}]\'',
    );
    const pki = path.join(root, "etc/kubernetes/pki");
    fs.mkdirSync(path.join(pki, "etcd"), { recursive: true });
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ed25519",
        "-nodes",
        "-days",
        "10",
        "-subj",
        "/CN=t",
        "-keyout",
        path.join(pki, "ca.key"),
        "-out",
        path.join(pki, "ca.crt"),
      ],
      { stdio: "ignore" },
    );
    const pem = fs.readFileSync(path.join(pki, "ca.crt"));
    fs.writeFileSync(
      path.join(root, "etc/kubernetes/admin.conf"),
      `users:\n- user:\n    client-certificate-data: ${pem.toString("base64")}\n`,
    );
    fs.mkdirSync(path.join(root, "etc/kubeadm-ha/apiserver-proxy"), { recursive: true });
    fs.writeFileSync(
      path.join(root, "etc/kubeadm-ha/apiserver-proxy/nginx.conf"),
      "stream {\n  upstream apiservers {\n    server 10.0.0.1:6443 max_fails=1;\n    server 10.0.0.2:6443 max_fails=1;\n  }\n}\n",
    );
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  function run(env: Record<string, string>): string {
    const program =
      fs.readFileSync(path.join(REPO, "components/scripts/layout.sh"), "utf8") +
      "\n" +
      fs.readFileSync(path.join(__dirname, "node-status.sh"), "utf8");
    const r = spawnSync("bash", ["-c", program], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, KHA_ROOT: root, ...env },
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return r.stdout;
  }

  it("reports the kubelet, the etcd member, every certificate and kubeconfig, the proxy's upstreams, the cluster view", () => {
    const out = run({ KHA_ETCD_ENDPOINT: "https://10.0.0.1:2379", KHA_STATUS_CLUSTER: "true" });
    const f = parseNodeStatus({ name: "n1", roles: ["control-plane", "etcd"], privateIp: "10.0.0.1" }, out);
    expect(f.kubelet).toEqual({ active: true, version: "v1.34.1" });
    expect(f.etcd).toMatchObject({ healthy: true, clusterId: "17", memberId: "5", leader: "5", dbSize: 4096 });
    const tenDays = Date.now() + 10 * 86_400_000;
    expect(f.certs.map((c) => c.path.replace(root, ""))).toEqual(["/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/admin.conf"]);
    for (const c of f.certs) expect(Math.abs(Date.parse(c.notAfter) - tenDays)).toBeLessThan(120_000);
    expect(f.proxy).toEqual([
      { upstream: "10.0.0.1:6443", up: true, detail: "readyz 200" },
      { upstream: "10.0.0.2:6443", up: false, detail: "readyz 000" },
    ]);
    const view = parseClusterView("n1", f.rawNodes!, f.rawLeases, f.rawApiServices);
    expect(view.nodes.map((n) => n.name)).toEqual(["n1"]);
    expect(view.apiServices).toEqual([
      {
        name: "v1beta1.metrics.k8s.io",
        service: "kube-system/metrics-server",
        available: false,
        reason: "no Available condition yet",
        message: "",
      },
    ]);
  });

  it("says nothing of etcd or the cluster where the node has neither, and a stopped kubelet is inactive", () => {
    stub(bin, "systemctl", "exit 3");
    const f = parseNodeStatus({ name: "w1", roles: ["worker"], privateIp: "10.0.0.4" }, run({}));
    expect(f.kubelet).toEqual({ active: false, version: "v1.34.1" });
    expect(f.etcd).toBeUndefined();
    expect(f.rawNodes).toBeUndefined();
  });
});
