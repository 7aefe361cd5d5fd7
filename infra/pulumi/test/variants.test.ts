// test/variants.test.ts — one replica, HTTPS with an origin certificate, DNS not proxied:
// the counts follow the config (a separate process from stack.test.ts: one stack each).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { counts, ofType, settings, settled, setup } from "./harness";

test("one replica, HTTPS on the load balancer, DNS only", async () => {
  await setup();
  const { materia } = await import("../materia");
  const s = materia(settings({ replicas: "1", proxied: "false", originCertificate: "-----BEGIN CERTIFICATE-----x",
                               originPrivateKey: "-----BEGIN PRIVATE KEY-----y" }));
  await settled([s.pipeline, ...s.replicas, s.loadBalancer, s.service, ...s.targets, ...s.records]);
  assert.deepEqual(counts(), {
    R2Bucket: 2, Network: 1, NetworkSubnet: 1, Firewall: 1, Server: 2, LoadBalancer: 1, LoadBalancerNetwork: 1,
    LoadBalancerTarget: 1, LoadBalancerService: 1, DnsRecord: 2, UploadedCertificate: 1,
  });
  const [svc] = ofType("LoadBalancerService");
  const [cert] = ofType("UploadedCertificate");
  assert.equal(svc.inputs.protocol, "https");
  assert.equal(svc.inputs.listenPort, 443);
  assert.deepEqual(svc.inputs.http.certificates.map(String), [cert.id]);
  assert.equal(svc.inputs.http.redirectHttp, true);
  assert.equal(svc.inputs.healthCheck.http.path, "/health");
  assert.deepEqual(ofType("DnsRecord").map((r) => r.inputs.proxied), [false, false]);
  assert.deepEqual(ofType("Firewall")[0].inputs.rules, [], "no sshSourceIps: no port open");
});
