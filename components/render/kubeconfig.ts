// An admin kubeconfig from PEM material (pure). Client certificate auth, CA pinned.

import { stringify } from "yaml";

export function renderKubeconfig(args: {
  clusterName: string;
  server: string;
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  user?: string;
}): string {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const user = args.user ?? "kubeadm-ha-admin";
  const context = `${user}@${args.clusterName}`;
  return stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: args.clusterName, cluster: { server: args.server, "certificate-authority-data": b64(args.caCertPem) } }],
      users: [{ name: user, user: { "client-certificate-data": b64(args.clientCertPem), "client-key-data": b64(args.clientKeyPem) } }],
      contexts: [{ name: context, context: { cluster: args.clusterName, user } }],
      "current-context": context,
    },
    { lineWidth: 0 },
  );
}
