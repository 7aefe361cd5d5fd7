// test/harness.ts — Pulumi's mocks for the unit tests: every resource the program declares
// is recorded with its inputs (no provider, no cloud, no credentials); addresses and ids are
// made up, ids numeric as Hetzner's are.
import * as pulumi from "@pulumi/pulumi";
import { fromMap, readSettings, Settings } from "../settings";

export interface Created { type: string; name: string; id: string; inputs: Record<string, any> }
export const created: Created[] = [];
let next = 100;

export async function setup(): Promise<void> {
  await pulumi.runtime.setMocks({
    newResource(args) {
      const id = String(next++);
      const state: Record<string, any> = { ...args.inputs };
      if (args.type === "hcloud:index/loadBalancer:LoadBalancer") Object.assign(state, { ipv4: "203.0.113.2", ipv6: "2001:db8::2" });
      if (args.type === "hcloud:index/server:Server") state.ipv4Address = `198.51.100.${id.slice(-2)}`;
      created.push({ type: args.type.split(":").pop() as string, name: args.name, id, inputs: args.inputs });
      return { id, state };
    },
    call(args) { return args.inputs; },
  }, "materia", "test", false);
}

/** The stored settings of a realistic stack, with overrides. */
export const SECRET_ID = "r2-access-key-id-0123456789";
export const SECRET_KEY = "r2-secret-access-key-abcdefghijklmnop";
export function settings(over: Record<string, string> = {}, storedSecrets?: string[]): Settings {
  return readSettings(fromMap({
    domain: "coffee.example.com", cloudflareAccountId: "acct123", cloudflareZoneId: "zone456",
    r2AccessKeyId: SECRET_ID, r2SecretAccessKey: SECRET_KEY, ...over,
  }, storedSecrets));
}

export function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => { resolve(v); return v; }));
}

/** Resolves once every resource of the list has its id, i.e. has been registered. */
export async function settled(resources: pulumi.CustomResource[]): Promise<void> {
  await Promise.all(resources.map((r) => value(r.id)));
}

export function ofType(type: string): Created[] {
  return created.filter((c) => c.type === type);
}

export function counts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of created) out[c.type] = (out[c.type] ?? 0) + 1;
  return out;
}
