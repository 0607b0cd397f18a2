// ClusterPki: every certificate and key the cluster needs, from @pulumi/tls only, so they live
// (encrypted) in Pulumi state and are placed on hosts before kubeadm runs: no upload-certs
// window, and a control plane added months later gets its certificates the same way.
//
// CAs are long-lived (10 years) and never renewed early: rotating a CA is an operation, not a
// side effect. Leaf certificates use `pki.validityHours` and are re-issued by any `pulumi up`
// within `pki.earlyRenewalHours` of expiry (the tls provider's early-renewal window). The
// kubeconfigs kubeadm signs on the control planes (same lifetime: certificateValidityPeriod) follow
// a renewal clock: a certificate of that lifetime renewed in the same window, whose expiry the
// control-plane steps carry, so its renewal renews them (renew_kubeconfigs in lib.sh).

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { ApiEndpointConfig } from "../config/types";
import { caCertHash } from "./render/discovery";
import { apiserverSans, etcdMemberSans } from "./render/sans";

export interface CertPair {
  certPem: pulumi.Output<string>;
  /** always a secret */
  keyPem: pulumi.Output<string>;
}

export interface PkiMember {
  name: string;
  privateIp: pulumi.Input<string>;
  publicIp?: pulumi.Input<string>;
}

export interface ClusterPkiArgs {
  clusterName: pulumi.Input<string>;
  etcdMembers: PkiMember[];
  controlPlanes: PkiMember[];
  serviceCidr: pulumi.Input<string>;
  endpoint: ApiEndpointConfig;
  validityHours: number;
  earlyRenewalHours: number;
}

export const CA_VALIDITY_HOURS = 87600;
const SERVER_USES = ["digital_signature", "key_encipherment", "server_auth"];
const CLIENT_USES = ["digital_signature", "key_encipherment", "client_auth"];
const PEER_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"];

interface LeafSpec {
  commonName: pulumi.Input<string>;
  organization?: string;
  dnsNames?: pulumi.Input<pulumi.Input<string>[]>;
  ipAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  uses: string[];
}

export class ClusterPki extends pulumi.ComponentResource {
  readonly etcdCa: CertPair;
  readonly etcdMembers: Record<string, { server: CertPair; peer: CertPair }> = {};
  readonly apiserverEtcdClient: CertPair;
  readonly etcdHealthcheckClient: CertPair;
  readonly kubernetesCa: CertPair;
  readonly frontProxyCa: CertPair;
  readonly frontProxyClient: CertPair;
  readonly apiserverKubeletClient: CertPair;
  readonly apiservers: Record<string, CertPair> = {};
  readonly serviceAccount: { publicKeyPem: pulumi.Output<string>; privateKeyPem: pulumi.Output<string> };
  /** client certificate of the admin kubeconfig (group kubeadm:cluster-admins) */
  readonly admin: CertPair;
  /** kubeadm's --discovery-token-ca-cert-hash for the Kubernetes CA */
  readonly discoveryHash: pulumi.Output<string>;
  /** the key Secrets are encrypted with at rest: base64 of 32 bytes; a secret */
  readonly secretsEncryptionKey: pulumi.Output<string>;
  /** the renewal clock's expiry: a new value renews kubeadm's kubeconfigs on every control plane */
  readonly kubeconfigsRenewal: pulumi.Output<string>;
  /** per certificate (and "kubeadm kubeconfigs"): when it expires (RFC 3339) */
  readonly expiries: pulumi.Output<Record<string, string>>;
  private readonly ends: [string, pulumi.Output<string>][] = [];

  private readonly args: ClusterPkiArgs;

  constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:pki:ClusterPki", name, {}, opts);
    this.args = args;

    this.etcdCa = this.ca(`${name}-etcd-ca`, "etcd-ca");
    this.kubernetesCa = this.ca(`${name}-kubernetes-ca`, "kubernetes");
    this.frontProxyCa = this.ca(`${name}-front-proxy-ca`, "front-proxy-ca");

    for (const member of args.etcdMembers) {
      const sans = pulumi.all([member.privateIp]).apply(([ip]) => etcdMemberSans(member.name, ip));
      const spec = { commonName: member.name, dnsNames: sans.dnsNames, ipAddresses: sans.ipAddresses };
      this.etcdMembers[member.name] = {
        server: this.leaf(`${name}-etcd-${member.name}-server`, this.etcdCa, { ...spec, uses: PEER_USES }),
        peer: this.leaf(`${name}-etcd-${member.name}-peer`, this.etcdCa, { ...spec, uses: PEER_USES }),
      };
    }
    this.apiserverEtcdClient = this.leaf(`${name}-apiserver-etcd-client`, this.etcdCa, {
      commonName: "kube-apiserver-etcd-client",
      uses: CLIENT_USES,
    });
    this.etcdHealthcheckClient = this.leaf(`${name}-etcd-healthcheck-client`, this.etcdCa, {
      commonName: "kube-etcd-healthcheck-client",
      uses: CLIENT_USES,
    });

    for (const cp of args.controlPlanes) {
      const sans = pulumi
        .all([cp.privateIp, cp.publicIp, args.serviceCidr])
        .apply(([privateIp, publicIp, serviceCidr]) =>
          apiserverSans({ nodeName: cp.name, privateIp, publicIp, serviceCidr, endpoint: args.endpoint }),
        );
      this.apiservers[cp.name] = this.leaf(`${name}-apiserver-${cp.name}`, this.kubernetesCa, {
        commonName: "kube-apiserver",
        dnsNames: sans.dnsNames,
        ipAddresses: sans.ipAddresses,
        uses: SERVER_USES,
      });
    }
    this.apiserverKubeletClient = this.leaf(`${name}-apiserver-kubelet-client`, this.kubernetesCa, {
      commonName: "kube-apiserver-kubelet-client",
      organization: "kubeadm:cluster-admins",
      uses: CLIENT_USES,
    });
    this.frontProxyClient = this.leaf(`${name}-front-proxy-client`, this.frontProxyCa, {
      commonName: "front-proxy-client",
      uses: CLIENT_USES,
    });
    this.admin = this.leaf(`${name}-admin`, this.kubernetesCa, {
      commonName: "kubeadm-ha-admin",
      // kubeadm (1.29+) binds this group to cluster-admin at init; unlike system:masters it goes
      // through RBAC, so the binding can be revoked. The Kubernetes provider's clusterIdentifier
      // keeps the re-issued kubeconfig an update, not a replacement of every object it manages.
      organization: "kubeadm:cluster-admins",
      uses: CLIENT_USES,
    });

    const saKey = new tls.PrivateKey(`${name}-service-account`, { algorithm: "RSA", rsaBits: 2048 }, { parent: this });
    this.serviceAccount = { publicKeyPem: saKey.publicKeyPem, privateKeyPem: pulumi.secret(saKey.privateKeyPem) };
    this.discoveryHash = this.kubernetesCa.certPem.apply(caCertHash);
    // 32 random bytes that live (encrypted) in state, from the tls provider alone: it has no
    // "random bytes" resource, and a `random` provider would be one more plugin to build and ship
    // offline. A new ED25519 key is 32 bytes from the provider's CSPRNG; the SHA-256 of its PEM is
    // as unguessable and stays the same on every run. Replacing this resource changes the key and
    // leaves Secrets written with the old one unreadable: never rename it without an alias.
    const encryptionSeed = new tls.PrivateKey(`${name}-secrets-encryption`, { algorithm: "ED25519" }, { parent: this });
    this.secretsEncryptionKey = pulumi.secret(
      encryptionSeed.privateKeyPem.apply((pem) =>
        crypto.createHash("sha256").update(`kubeadm-ha secrets encryption v1\n${pem}`).digest("base64"),
      ),
    );

    const clockKey = new tls.PrivateKey(`${name}-kubeconfig-renewal-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    const clock = new tls.SelfSignedCert(
      `${name}-kubeconfig-renewal`,
      {
        privateKeyPem: clockKey.privateKeyPem,
        subject: { commonName: "kubeadm-ha renewal clock of kubeadm's kubeconfigs" },
        validityPeriodHours: args.validityHours,
        earlyRenewalHours: args.earlyRenewalHours,
        allowedUses: ["digital_signature"],
      },
      { parent: this },
    );
    this.kubeconfigsRenewal = clock.validityEndTime;
    this.ends.push(["kubeadm kubeconfigs (admin, super-admin, controller-manager, scheduler)", clock.validityEndTime]);
    const prefix = `${name}-`;
    this.expiries = pulumi
      .all(this.ends.map(([, end]) => end))
      .apply((ends) => Object.fromEntries(this.ends.map(([certName], i) => [certName.replace(prefix, ""), ends[i]])));

    this.registerOutputs({
      expiries: this.expiries,
      etcdCaCert: this.etcdCa.certPem,
      kubernetesCaCert: this.kubernetesCa.certPem,
      frontProxyCaCert: this.frontProxyCa.certPem,
      discoveryHash: this.discoveryHash,
    });
  }

  private ca(name: string, commonName: string): CertPair {
    const key = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: 2048 }, { parent: this });
    const cert = new tls.SelfSignedCert(
      name,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName, organization: this.args.clusterName },
        isCaCertificate: true,
        validityPeriodHours: CA_VALIDITY_HOURS,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
      },
      { parent: this },
    );
    this.ends.push([name, cert.validityEndTime]);
    return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
  }

  private leaf(name: string, ca: CertPair, spec: LeafSpec): CertPair {
    const key = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: 2048 }, { parent: this });
    const csr = new tls.CertRequest(
      `${name}-csr`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: spec.commonName, organization: spec.organization },
        dnsNames: spec.dnsNames,
        ipAddresses: spec.ipAddresses,
      },
      { parent: this },
    );
    const cert = new tls.LocallySignedCert(
      name,
      {
        certRequestPem: csr.certRequestPem,
        caCertPem: ca.certPem,
        caPrivateKeyPem: ca.keyPem,
        validityPeriodHours: this.args.validityHours,
        earlyRenewalHours: this.args.earlyRenewalHours,
        allowedUses: spec.uses,
      },
      { parent: this },
    );
    this.ends.push([name, cert.validityEndTime]);
    return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
  }
}
