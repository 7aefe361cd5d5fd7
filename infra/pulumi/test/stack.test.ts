// test/stack.test.ts — the resources of a three-replica stack (Pulumi mocks): counts, the
// load balancer over every replica with its /health check, DNS, and the cloud-init
// user-data: it runs bootstrap_supervisor.sh and carries the credentials only as a secret,
// in the .env file it writes, and nowhere else.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { created, counts, ofType, settings, settled, setup, value, SECRET_ID, SECRET_KEY } from "./harness";

test("a three-replica stack", async (t) => {
  await setup();
  const { materia, HEALTH_PATH, WEB_PORT } = await import("../materia");
  const { BOOTSTRAP } = await import("../cloudinit");
  const s = materia(settings({ replicas: "3", sshSourceIps: "192.0.2.0/24" }));
  await settled([s.landingBucket, s.servingBucket, s.pipeline, ...s.replicas, s.loadBalancer, s.service,
                 ...s.targets, ...s.records]);

  await t.test("resource counts", () => {
    assert.deepEqual(counts(), {
      R2Bucket: 2, Network: 1, NetworkSubnet: 1, Firewall: 1, Server: 4, LoadBalancer: 1,
      LoadBalancerNetwork: 1, LoadBalancerTarget: 3, LoadBalancerService: 1, DnsRecord: 2,
    });
    assert.deepEqual(ofType("R2Bucket").map((b) => b.inputs.name).sort(), ["materia-backup", "materia-serving"]);
  });

  await t.test("the load balancer targets every replica over the private network", async () => {
    const lbId = await value(s.loadBalancer.id);
    const replicaIds = await Promise.all(s.replicas.map((r) => value(r.id)));
    const targets = ofType("LoadBalancerTarget");
    assert.deepEqual(targets.map((t) => String(t.inputs.serverId)).sort(), [...replicaIds].sort());
    for (const t of targets) {
      assert.equal(String(t.inputs.loadBalancerId), lbId);
      assert.equal(t.inputs.type, "server");
      assert.equal(t.inputs.usePrivateIp, true);
    }
    const pipelineId = await value(s.pipeline.id);
    assert.ok(!targets.some((t) => String(t.inputs.serverId) === pipelineId), "the pipeline host is no target");
  });

  await t.test("the HTTP service and its health check on /health", () => {
    const [svc] = ofType("LoadBalancerService");
    assert.equal(svc.inputs.protocol, "http");
    assert.equal(svc.inputs.listenPort, 80);
    assert.equal(svc.inputs.destinationPort, WEB_PORT);
    assert.equal(svc.inputs.healthCheck.protocol, "http");
    assert.equal(svc.inputs.healthCheck.port, WEB_PORT);
    assert.equal(svc.inputs.healthCheck.http.path, HEALTH_PATH);
    assert.equal(HEALTH_PATH, "/health");
  });

  await t.test("DNS names the load balancer", () => {
    const recs = ofType("DnsRecord").map((r) => [r.inputs.type, r.inputs.name, r.inputs.content, r.inputs.proxied, r.inputs.zoneId]);
    assert.deepEqual(recs.sort(), [["A", "coffee.example.com", "203.0.113.2", true, "zone456"],
                                   ["AAAA", "coffee.example.com", "2001:db8::2", true, "zone456"]]);
  });

  await t.test("servers: private addresses, firewall, SSH only from the given range", () => {
    const servers = ofType("Server");
    assert.deepEqual(servers.map((x) => x.inputs.networks[0].ip).sort(),
                     ["10.17.0.10", "10.17.0.20", "10.17.0.21", "10.17.0.22"]);
    const [fw] = ofType("Firewall");
    assert.deepEqual(fw.inputs.rules, [{ direction: "in", protocol: "tcp", port: "22", sourceIps: ["192.0.2.0/24"], description: "SSH" }]);
    for (const x of servers) assert.deepEqual(x.inputs.firewallIds.map(String), [fw.id]);
    const [lbn] = ofType("LoadBalancerNetwork");
    assert.equal(lbn.inputs.ip, "10.17.0.2");
  });

  await t.test("user-data runs bootstrap_supervisor.sh with the server's role", async () => {
    for (const x of ofType("Server")) {
      const role = x.inputs.labels.role;
      // a secret input reaches the mock as {<secret signature>: ..., value}
      const text: string = typeof x.inputs.userData === "string" ? x.inputs.userData : x.inputs.userData.value;
      assert.ok(text.startsWith("#cloud-config\n"), text.slice(0, 40));
      const doc = JSON.parse(text.slice("#cloud-config\n".length));
      const [clone, run, clean] = doc.runcmd;
      assert.deepEqual(clone, ["git", "clone", "--quiet", "--depth", "1", "--branch", "main",
                               "https://github.com/materia-coffee/materia.git", "/root/materia-init/src"]);
      assert.equal(run[0], "env");
      assert.equal(run[run.length - 1], BOOTSTRAP);
      assert.ok(BOOTSTRAP.endsWith("/infra/bootstrap_supervisor.sh"));
      assert.ok(run.includes(`MATERIA_ROLE=${role}`), run);
      assert.ok(run.includes("MATERIA_REPO_URL=https://github.com/materia-coffee/materia.git"), run);
      assert.ok(run.includes("MATERIA_ENV_FILE=/root/materia-init/materia.env"), run);
      assert.deepEqual(clean, ["rm", "-rf", "/root/materia-init"]);
      const env = doc.write_files.find((f: any) => f.path === "/root/materia-init/materia.env");
      assert.equal(env.permissions, "0600");
      for (const line of ["SERVING_PUBLISH_URL=s3://materia-serving/serving/",
                          "S3_ENDPOINT=https://acct123.r2.cloudflarestorage.com", `AWS_ACCESS_KEY_ID=${SECRET_ID}`,
                          `AWS_SECRET_ACCESS_KEY=${SECRET_KEY}`, "AWS_REGION=auto", "PUBLIC_BASE_URL=https://coffee.example.com"]) {
        assert.ok(env.content.split("\n").includes(line), `${role}: ${line}`);
      }
      if (role === "replica") {
        assert.ok(env.content.split("\n").includes("MATERIA_TRUSTED_PROXIES=10.17.0.2"), env.content);
        assert.equal(doc.write_files.length, 1);
      } else {
        const rc = doc.write_files.find((f: any) => f.path === "/root/materia-init/rclone.conf");
        assert.ok(rc.content.includes(`secret_access_key = ${SECRET_KEY}`));
        assert.ok(run.includes("MATERIA_RCLONE_FILE=/root/materia-init/rclone.conf"), run);
        assert.ok(env.content.includes("MATERIA_BACKUP_REMOTE=r2:materia-backup/landing\n"));
      }
      // the credentials only in the files written (0600), never on a command line
      assert.ok(!JSON.stringify(doc.runcmd).includes(SECRET_KEY) && !JSON.stringify(doc.runcmd).includes(SECRET_ID));
    }
  });

  await t.test("the credentials are secrets and appear in no other resource", async () => {
    assert.equal(await pulumi.isSecret(s.userData.pipeline), true);
    assert.equal(await pulumi.isSecret(s.userData.replica), true);
    assert.equal(await pulumi.isSecret(s.pipeline.userData), true);
    for (const x of ofType("Server")) assert.equal(typeof x.inputs.userData, "object", "user-data sent as a secret");
    for (const c of created) {
      const inputs = { ...c.inputs };
      if (c.type === "Server") delete inputs.userData;
      const text = JSON.stringify(inputs);
      assert.ok(!text.includes(SECRET_KEY) && !text.includes(SECRET_ID), `${c.type} ${c.name} carries a credential`);
    }
  });
});
