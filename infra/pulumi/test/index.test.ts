// test/index.test.ts — the program's entry as `pulumi preview` runs it: the stack's config
// (with the keys the engine marks secret) read through pulumi.Config, a credential stored in
// plain text refused, and the exports free of secrets.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { setup, value, SECRET_ID, SECRET_KEY } from "./harness";

const CONFIG = {
  "materia:domain": "coffee.example.com", "materia:cloudflareAccountId": "acct123",
  "materia:cloudflareZoneId": "zone456", "materia:r2AccessKeyId": SECRET_ID,
  "materia:r2SecretAccessKey": SECRET_KEY, "materia:replicas": "3",
};

test("the entry reads the stack config", async () => {
  await setup();
  // stored without --secret: refused before any resource
  pulumi.runtime.setAllConfig(CONFIG, ["materia:r2AccessKeyId"]);
  assert.throws(() => require("../index"), /materia:r2SecretAccessKey is stored in plain text/);
  delete require.cache[require.resolve("../index")];

  pulumi.runtime.setAllConfig(CONFIG, ["materia:r2AccessKeyId", "materia:r2SecretAccessKey"]);
  const m = require("../index");
  assert.equal(m.site, "https://coffee.example.com");
  assert.equal(m.servingPublishUrl, "s3://materia-serving/serving/");
  assert.equal(m.replicaIpv4.length, 3);
  assert.equal(await value(m.loadBalancerIpv4), "203.0.113.2");
  assert.deepEqual(await value(pulumi.all(m.buckets)), ["materia-backup", "materia-serving"]);
  const exported = JSON.stringify([m.site, m.servingPublishUrl, await value(pulumi.all(m.replicaIpv4))]);
  assert.ok(!exported.includes(SECRET_KEY) && !exported.includes(SECRET_ID));
});
