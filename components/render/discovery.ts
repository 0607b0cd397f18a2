// kubeadm's discovery CA pin: "sha256:" + hex SHA-256 of the CA certificate's DER-encoded
// SubjectPublicKeyInfo, as `kubeadm join --discovery-token-ca-cert-hash` expects (pure).

import * as crypto from "crypto";

export function caCertHash(caCertPem: string): string {
  const spki = new crypto.X509Certificate(caCertPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${crypto.createHash("sha256").update(spki).digest("hex")}`;
}
