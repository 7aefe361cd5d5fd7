// materia.ts — every cloud resource of a Materia stack, declared from Settings.
//
//   Cloudflare R2   landingBucket (backup of landing/ and the account database, rclone) and
//                   servingBucket (the snapshots export-serving publishes, LATEST.json last)
//   Hetzner         a private network; the pipeline host (supervisor, web on 127.0.0.1,
//                   backup) at .10; `replicas` web replicas (`materia serve --follow`) at
//                   .20 and up; a firewall that opens only SSH (from sshSourceIps, if any) on
//                   the public interfaces — the replicas' port 8000 is reached over the
//                   private network only; a load balancer at .2 with an HTTP service to port
//                   8000 of every replica and a health check on /health
//   Cloudflare DNS  A and AAAA of `domain` to the load balancer (proxied by default)
// Each server's cloud-init runs infra/bootstrap_supervisor.sh (cloudinit.ts). With
// originCertificate/originPrivateKey the load balancer terminates HTTPS on 443 with that
// certificate (a Cloudflare origin certificate: Cloudflare's "Full (strict)" mode) and
// redirects 80 to it; without them it serves HTTP on 80 ("Flexible": docs/DEPLOY.md).
import * as cloudflare from "@pulumi/cloudflare";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { userData } from "./cloudinit";
import { Settings, privateIp } from "./settings";

export const WEB_PORT = 8000;
export const HEALTH_PATH = "/health";

export interface Stack {
  landingBucket: cloudflare.R2Bucket;
  servingBucket: cloudflare.R2Bucket;
  pipeline: hcloud.Server;
  replicas: hcloud.Server[];
  loadBalancer: hcloud.LoadBalancer;
  service: hcloud.LoadBalancerService;
  targets: hcloud.LoadBalancerTarget[];
  records: cloudflare.DnsRecord[];
  userData: { pipeline: pulumi.Output<string>; replica: pulumi.Output<string> };
}

export function materia(s: Settings): Stack {
  const labels = { app: "materia" };

  const landingBucket = new cloudflare.R2Bucket("landing", { accountId: s.cloudflareAccountId, name: s.landingBucket });
  const servingBucket = new cloudflare.R2Bucket("serving", { accountId: s.cloudflareAccountId, name: s.servingBucket });

  const network = new hcloud.Network("materia", { ipRange: s.ipRange, labels });
  const subnet = new hcloud.NetworkSubnet("materia", {
    networkId: network.id.apply(Number), type: "cloud", networkZone: s.networkZone, ipRange: s.ipRange,
  });
  const firewall = new hcloud.Firewall("materia", {
    labels,
    rules: s.sshSourceIps.length === 0 ? [] :
      [{ direction: "in", protocol: "tcp", port: "22", sourceIps: s.sshSourceIps, description: "SSH" }],
  });

  const lbIp = privateIp(s, 2);
  const server = (name: string, role: "pipeline" | "replica", type: string, ip: string, data: pulumi.Output<string>) =>
    new hcloud.Server(name, {
      name: `materia-${name}`,
      serverType: type,
      image: s.image,
      location: s.location,
      sshKeys: s.sshKeys,
      firewallIds: [firewall.id.apply(Number)],
      networks: [{ networkId: network.id.apply(Number), ip }],
      userData: data,
      labels: { ...labels, role },
    }, { dependsOn: [subnet] });

  const pipelineData = userData(s, "pipeline", lbIp);
  const replicaData = userData(s, "replica", lbIp);
  const pipeline = server("pipeline", "pipeline", s.pipelineServerType, privateIp(s, 10), pipelineData);
  const replicas = Array.from({ length: s.replicas }, (_, i) =>
    server(`replica-${i + 1}`, "replica", s.replicaServerType, privateIp(s, 20 + i), replicaData));

  const loadBalancer = new hcloud.LoadBalancer("web", {
    name: "materia-web", loadBalancerType: s.loadBalancerType, location: s.location,
    algorithm: { type: "round_robin" }, labels,
  });
  const lbNetwork = new hcloud.LoadBalancerNetwork("web", {
    loadBalancerId: loadBalancer.id.apply(Number), subnetId: subnet.id, ip: lbIp,
  });
  const targets = replicas.map((r, i) => new hcloud.LoadBalancerTarget(`replica-${i + 1}`, {
    loadBalancerId: loadBalancer.id.apply(Number), type: "server", serverId: r.id.apply(Number), usePrivateIp: true,
  }, { dependsOn: [lbNetwork] }));

  const healthCheck = {
    protocol: "http", port: WEB_PORT, interval: 10, timeout: 5, retries: 3,
    http: { path: HEALTH_PATH, statusCodes: ["200"] },
  };
  let service: hcloud.LoadBalancerService;
  if (s.originCertificate && s.originPrivateKey) {
    const cert = new hcloud.UploadedCertificate("origin", {
      certificate: s.originCertificate, privateKey: s.originPrivateKey, labels,
    });
    service = new hcloud.LoadBalancerService("https", {
      loadBalancerId: loadBalancer.id, protocol: "https", listenPort: 443, destinationPort: WEB_PORT, healthCheck,
      http: { certificates: [cert.id.apply(Number)], redirectHttp: true },
    });
  } else {
    service = new hcloud.LoadBalancerService("http", {
      loadBalancerId: loadBalancer.id, protocol: "http", listenPort: 80, destinationPort: WEB_PORT, healthCheck,
    });
  }

  const records = [
    new cloudflare.DnsRecord("web-a", {
      zoneId: s.cloudflareZoneId, name: s.domain, type: "A", content: loadBalancer.ipv4, ttl: 1, proxied: s.proxied,
    }),
    new cloudflare.DnsRecord("web-aaaa", {
      zoneId: s.cloudflareZoneId, name: s.domain, type: "AAAA", content: loadBalancer.ipv6, ttl: 1, proxied: s.proxied,
    }),
  ];

  return { landingBucket, servingBucket, pipeline, replicas, loadBalancer, service, targets, records,
           userData: { pipeline: pipelineData, replica: replicaData } };
}
