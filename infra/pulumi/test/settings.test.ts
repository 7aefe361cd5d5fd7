// test/settings.test.ts — a setting that cannot take effect is refused by name before any
// resource is declared.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { fromStack, readSettings, SettingsError } from "../settings";
import { settings } from "./harness";

function refused(over: Record<string, string>, message: RegExp, storedSecrets?: string[]) {
  assert.throws(() => settings(over, storedSecrets), (e: unknown) => e instanceof SettingsError && message.test(e.message));
}

test("defaults", () => {
  const s = settings();
  assert.equal(s.replicas, 2);
  assert.equal(s.servingBucket, "materia-serving");
  assert.equal(s.proxied, true);
  assert.deepEqual(s.sshSourceIps, []);
});

test("refusals name the key", () => {
  refused({ replicas: "0" }, /^materia:replicas has '0': a whole number from 1 to 20$/);
  refused({ replicas: "2.5" }, /^materia:replicas /);
  refused({ domain: "" }, /^materia:domain is required/);
  refused({ domain: "not a name" }, /^materia:domain has 'not a name'/);
  refused({ servingBucket: "Materia_Serving" }, /^materia:servingBucket has 'Materia_Serving', not an R2 bucket name/);
  refused({ servingBucket: "materia-backup" }, /^materia:servingBucket must differ/);
  refused({ servingPrefix: "serving" }, /^materia:servingPrefix /);
  refused({ ipRange: "10.17.0.0/28" }, /^materia:ipRange has '10.17.0.0\/28': at least a \/24/);
  refused({ ipRange: "10.300.0.0/24" }, /^materia:ipRange has '10.300.0.0\/24', not an IPv4 CIDR/);
  refused({ sshSourceIps: "192.0.2.1" }, /^materia:sshSourceIps has '192.0.2.1'/);
  refused({ proxied: "yes" }, /^materia:proxied /);
  refused({ originCertificate: "pem" }, /^materia:originPrivateKey must be set together/);
  refused({ r2SecretAccessKey: "" }, /^materia:r2SecretAccessKey is required, as a secret/);
  refused({}, /^materia:r2SecretAccessKey is stored in plain text/, ["r2AccessKeyId"]);
});

test("a materia:* key the program does not read is refused by name", () => {
  refused({ replica: "3" }, /^materia:replica is not a setting of this stack \(a typo\?\): the settings are materia:domain, .*materia:replicas,/);
  refused({ Domain: "coffee.example.com" }, /^materia:Domain is not a setting/);
});

test("the stack's own config (pulumi.runtime.allConfig) is checked the same way", () => {
  const stack: Record<string, string> = {
    "materia:domain": "coffee.example.com", "materia:cloudflareAccountId": "acct123",
    "materia:cloudflareZoneId": "zone456", "materia:r2AccessKeyId": "id", "materia:r2SecretAccessKey": "key",
    "hcloud:token": "not ours: another namespace is not checked",
  };
  const secrets = ["materia:r2AccessKeyId", "materia:r2SecretAccessKey"];
  pulumi.runtime.setAllConfig(stack, secrets);
  assert.ok(Object.keys(pulumi.runtime.allConfig()).includes("materia:domain"));
  assert.equal(readSettings(fromStack()).replicas, 2);
  pulumi.runtime.setAllConfig({ ...stack, "materia:replicas": "3" }, secrets);
  assert.equal(readSettings(fromStack()).replicas, 3);
  pulumi.runtime.setAllConfig({ ...stack, "materia:replica": "3" }, secrets);
  assert.throws(() => readSettings(fromStack()),
    (e: unknown) => e instanceof SettingsError && /^materia:replica is not a setting of this stack/.test(e.message));
});
