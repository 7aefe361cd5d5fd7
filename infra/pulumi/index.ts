// index.ts — the Pulumi program's entry (Pulumi.yaml: main build/index.js after
// `npm run build`): reads the stack's `materia:*` config (settings.ts), declares the
// resources (materia.ts) and exports what an operator needs, never a secret.
import * as pulumi from "@pulumi/pulumi";
import { servingUrl } from "./cloudinit";
import { materia } from "./materia";
import { readSettings } from "./settings";

// isConfigSecret is exported by the SDK's runtime but not declared in its types
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };

const cfg = new pulumi.Config("materia");
const settings = readSettings({
  get: (k) => cfg.get(k),
  getSecret: (k) => cfg.getSecret(k),
  isStoredSecret: (k) => runtimeConfig.isConfigSecret(`materia:${k}`),
});
const stack = materia(settings);

export const site = `https://${settings.domain}`;
export const loadBalancerIpv4 = stack.loadBalancer.ipv4;
export const pipelineIpv4 = stack.pipeline.ipv4Address;
export const replicaIpv4 = stack.replicas.map((r) => r.ipv4Address);
export const servingPublishUrl = servingUrl(settings);
export const buckets = [stack.landingBucket.name, stack.servingBucket.name];
