// settings.ts — the stack's configuration (`pulumi config`, namespace `materia`), read and
// checked in one place before any resource is declared.
//
// Every key is listed in KEYS with its default; README.md documents them. A value that
// cannot take effect is refused by name (SettingsError) — a replica count of 0, a
// malformed IP range, a bucket name R2 would reject — so `pulumi preview` fails on the
// setting, not halfway through the cloud; so is a `materia:*` key not in KEYS (a typo like
// materia:replica would otherwise be ignored, the default taking its place). Secrets (the R2 S3 credentials, the optional
// origin certificate key) are read with requireSecret/getSecret: they stay Pulumi secrets
// (encrypted in the stack file and in the state) all the way into the cloud-init user-data.
import * as pulumi from "@pulumi/pulumi";

export class SettingsError extends Error {}

/** What the program needs from `pulumi.Config`; tests pass a plain map through fromMap(). */
export interface ConfigSource {
  get(key: string): string | undefined;
  getSecret(key: string): pulumi.Output<string> | undefined;
  /** Whether the stack stores the key encrypted (`pulumi config set --secret`). */
  isStoredSecret(key: string): boolean;
  /** Every `materia:*` key the stack sets, without the namespace: one not in KEYS is refused. */
  keys(): string[];
}

export interface Settings {
  domain: string;                 // the site's name in the Cloudflare zone (A/AAAA -> the load balancer)
  cloudflareAccountId: string;
  cloudflareZoneId: string;
  proxied: boolean;               // DNS through Cloudflare's proxy (the CDN of docs/CDN.md)
  landingBucket: string;          // R2: backup of landing/ and the account database (rclone)
  servingBucket: string;          // R2: serving snapshots published by export-serving
  servingPrefix: string;          // folder of the snapshots and LATEST.json in servingBucket
  r2AccessKeyId: pulumi.Output<string>;
  r2SecretAccessKey: pulumi.Output<string>;
  location: string;               // Hetzner location (fsn1, nbg1, hel1, ...)
  networkZone: string;            // the network zone of that location (eu-central, ...)
  image: string;
  pipelineServerType: string;
  replicaServerType: string;
  replicas: number;               // web replicas behind the load balancer (1..20)
  loadBalancerType: string;
  ipRange: string;                // the private network; the subnet is the same range
  sshKeys: string[];              // Hetzner SSH key names or ids put on every server
  sshSourceIps: string[];         // CIDRs allowed to port 22; empty: no SSH from outside
  repoUrl: string;                // what bootstrap_supervisor.sh clones (MATERIA_REPO_URL)
  branch: string;
  originCertificate?: pulumi.Output<string>;  // PEM; with originPrivateKey: HTTPS on the LB
  originPrivateKey?: pulumi.Output<string>;
}

export const KEYS: Record<string, string | null> = {
  domain: null,
  cloudflareAccountId: null,
  cloudflareZoneId: null,
  proxied: "true",
  landingBucket: "materia-backup",
  servingBucket: "materia-serving",
  servingPrefix: "serving/",
  r2AccessKeyId: null,
  r2SecretAccessKey: null,
  location: "fsn1",
  networkZone: "eu-central",
  image: "debian-12",
  pipelineServerType: "cx32",
  replicaServerType: "cx22",
  replicas: "2",
  loadBalancerType: "lb11",
  ipRange: "10.17.0.0/24",
  sshKeys: "",
  sshSourceIps: "",
  repoUrl: "https://github.com/materia-coffee/materia.git",
  branch: "main",
  originCertificate: "",
  originPrivateKey: "",
};
const SECRET_KEYS = new Set(["r2AccessKeyId", "r2SecretAccessKey", "originCertificate", "originPrivateKey"]);

/** A ConfigSource over a plain map (tests); secret keys come back as Pulumi secrets. */
export function fromMap(m: Record<string, string>, storedSecrets: string[] = [...SECRET_KEYS]): ConfigSource {
  return {
    get: (k) => m[k],
    getSecret: (k) => (m[k] === undefined ? undefined : pulumi.secret(m[k])),
    isStoredSecret: (k) => storedSecrets.includes(k),
    keys: () => Object.keys(m),
  };
}

// isConfigSecret is exported by the SDK's runtime but not declared in its types
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };

/** The stack's own configuration (`pulumi config`): what index.ts reads. */
export function fromStack(): ConfigSource {
  const cfg = new pulumi.Config("materia");
  return {
    get: (k) => cfg.get(k),
    getSecret: (k) => cfg.getSecret(k),
    isStoredSecret: (k) => runtimeConfig.isConfigSecret(`materia:${k}`),
    // allConfig() names each entry "namespace:key" (the SDK drops a legacy ":config:")
    keys: () => Object.keys(pulumi.runtime.allConfig())
      .filter((k) => k.startsWith("materia:")).map((k) => k.slice("materia:".length)),
  };
}

function fail(key: string, why: string): never {
  throw new SettingsError(`materia:${key} ${why}`);
}

function str(c: ConfigSource, key: string): string {
  const v = c.get(key) ?? KEYS[key];
  if (v === null || v === undefined || v === "") fail(key, "is required (pulumi config set materia:" + key + " ...)");
  return v;
}

function list(c: ConfigSource, key: string): string[] {
  const v = c.get(key) ?? KEYS[key] ?? "";
  return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function checkCidr(key: string, v: string): void {
  const m = CIDR.exec(v);
  if (v.includes(":")) return;  // IPv6: Hetzner checks it
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) fail(key, `has '${v}', not an IPv4 CIDR`);
}

// R2 bucket names: 3-63 of lowercase letters, digits and hyphens, not starting or ending with a hyphen
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function readSettings(c: ConfigSource): Settings {
  // a key the program does not read (a typo like materia:replica) would be silently ignored
  for (const k of c.keys()) {
    if (!Object.prototype.hasOwnProperty.call(KEYS, k)) {
      fail(k, `is not a setting of this stack (a typo?): the settings are materia:${Object.keys(KEYS).join(", materia:")}`);
    }
  }
  // a credential in plain text in Pulumi.<stack>.yaml would be committed with it
  for (const k of SECRET_KEYS) {
    if (c.get(k) && !c.isStoredSecret(k)) fail(k, "is stored in plain text: set it with `pulumi config set --secret`");
  }
  const domain = str(c, "domain");
  if (!/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(domain)) fail("domain", `has '${domain}', not a DNS name`);
  const proxied = str(c, "proxied");
  if (proxied !== "true" && proxied !== "false") fail("proxied", `has '${proxied}': true or false`);
  const replicasText = str(c, "replicas");
  const replicas = Number(replicasText);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 20) fail("replicas", `has '${replicasText}': a whole number from 1 to 20`);
  for (const k of ["landingBucket", "servingBucket"]) {
    const b = str(c, k);
    if (!BUCKET.test(b)) fail(k, `has '${b}', not an R2 bucket name (3-63 of a-z, 0-9, -)`);
  }
  if (str(c, "landingBucket") === str(c, "servingBucket")) fail("servingBucket", "must differ from materia:landingBucket");
  const prefix = str(c, "servingPrefix");
  if (!/^([A-Za-z0-9._-]+\/)+$/.test(prefix)) fail("servingPrefix", `has '${prefix}': a folder like serving/ (ends with /)`);
  const ipRange = str(c, "ipRange");
  checkCidr("ipRange", ipRange);
  if (Number(ipRange.split("/")[1]) > 24) fail("ipRange", `has '${ipRange}': at least a /24 (the servers take .10 and up)`);
  const sshSourceIps = list(c, "sshSourceIps");
  sshSourceIps.forEach((v) => checkCidr("sshSourceIps", v));
  const secret = (k: string) => (c.get(k) ? c.getSecret(k) : undefined) ??
    fail(k, "is required, as a secret (pulumi config set --secret materia:" + k + " ...)");
  const cert = c.get("originCertificate") ? c.getSecret("originCertificate") : undefined;
  const key = c.get("originPrivateKey") ? c.getSecret("originPrivateKey") : undefined;
  if ((cert === undefined) !== (key === undefined)) fail(cert ? "originPrivateKey" : "originCertificate", "must be set together with the other (HTTPS on the load balancer)");
  const repoUrl = str(c, "repoUrl");
  if (/\s/.test(repoUrl)) fail("repoUrl", `has '${repoUrl}': no spaces`);
  const branch = str(c, "branch");
  if (!/^[A-Za-z0-9._/-]+$/.test(branch)) fail("branch", `has '${branch}', not a branch name`);
  return {
    domain,
    cloudflareAccountId: str(c, "cloudflareAccountId"),
    cloudflareZoneId: str(c, "cloudflareZoneId"),
    proxied: proxied === "true",
    landingBucket: str(c, "landingBucket"),
    servingBucket: str(c, "servingBucket"),
    servingPrefix: prefix,
    r2AccessKeyId: secret("r2AccessKeyId"),
    r2SecretAccessKey: secret("r2SecretAccessKey"),
    location: str(c, "location"),
    networkZone: str(c, "networkZone"),
    image: str(c, "image"),
    pipelineServerType: str(c, "pipelineServerType"),
    replicaServerType: str(c, "replicaServerType"),
    replicas,
    loadBalancerType: str(c, "loadBalancerType"),
    ipRange,
    sshKeys: list(c, "sshKeys"),
    sshSourceIps,
    repoUrl,
    branch,
    originCertificate: cert,
    originPrivateKey: key,
  };
}

/** The n-th host address of the private range: .2 the load balancer, .10 the pipeline host, .20+ replicas. */
export function privateIp(s: Settings, host: number): string {
  const [a, b, c] = s.ipRange.split("/")[0].split(".");
  return `${a}.${b}.${c}.${host}`;
}
