// index.ts — the Pulumi program's entry (Pulumi.yaml: main build/index.js after
// `npm run build`): reads the stack's `materia:*` config (settings.ts), declares the
// resources (materia.ts) and exports what an operator needs, never a secret.
import { servingUrl } from "./cloudinit";
import { materia } from "./materia";
import { fromStack, readSettings } from "./settings";

const settings = readSettings(fromStack());
const stack = materia(settings);

export const site = `https://${settings.domain}`;
export const loadBalancerIpv4 = stack.loadBalancer.ipv4;
export const pipelineIpv4 = stack.pipeline.ipv4Address;
export const replicaIpv4 = stack.replicas.map((r) => r.ipv4Address);
export const servingPublishUrl = servingUrl(settings);
export const buckets = [stack.landingBucket.name, stack.servingBucket.name];
