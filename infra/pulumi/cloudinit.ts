// cloudinit.ts — the cloud-init user-data of each server: it runs
// infra/bootstrap_supervisor.sh, which does all of the set-up (user, folders, checkout,
// build, .env, systemd units); nothing here repeats it.
//
// The document is `#cloud-config` followed by JSON (JSON is YAML, and JSON.stringify
// leaves no indentation to get wrong). Steps on first boot:
//   write_files  /root/materia-init/materia.env (0600): the settings this server needs —
//                the bucket (SERVING_PUBLISH_URL, S3_ENDPOINT, AWS_*), PUBLIC_BASE_URL,
//                and on a replica MATERIA_TRUSTED_PROXIES (the load balancer's private IP);
//                on the pipeline host also rclone.conf for the backup's R2 remote
//   runcmd       clone the repository, run bootstrap_supervisor.sh with --role and
//                MATERIA_ENV_FILE / MATERIA_RCLONE_FILE pointing at those files (it installs
//                them as /opt/materia/.env and /etc/materia/rclone.conf once, never over an
//                existing one), then delete /root/materia-init.
// The credentials come from Pulumi secrets, so the user-data is itself a secret output
// (encrypted in the state). It still reaches the server in clear: Hetzner serves user-data
// to the server over its metadata address, which any local process can read — see
// docs/DEPLOY.md for the consequence and the rotation.
import * as pulumi from "@pulumi/pulumi";
import { Settings } from "./settings";

export type Role = "pipeline" | "replica";

export const INIT_DIR = "/root/materia-init";
export const BOOTSTRAP = `${INIT_DIR}/src/infra/bootstrap_supervisor.sh`;

export function r2Endpoint(s: Settings): string {
  return `https://${s.cloudflareAccountId}.r2.cloudflarestorage.com`;
}

export function servingUrl(s: Settings): string {
  return `s3://${s.servingBucket}/${s.servingPrefix}`;
}

/** The .env lines of a server; the values that are secrets stay inside the Output. */
function envFile(s: Settings, role: Role, lbIp: string): pulumi.Output<string> {
  return pulumi.all([s.r2AccessKeyId, s.r2SecretAccessKey]).apply(([id, key]) => {
    const lines = [
      "# written by cloud-init (infra/pulumi), installed once as /opt/materia/.env by",
      "# infra/bootstrap_supervisor.sh; edit it there, never here (.env.example: every setting)",
      `SERVING_PUBLISH_URL=${servingUrl(s)}`,
      `S3_ENDPOINT=${r2Endpoint(s)}`,
      `AWS_ACCESS_KEY_ID=${id}`,
      `AWS_SECRET_ACCESS_KEY=${key}`,
      "AWS_REGION=auto",
      `PUBLIC_BASE_URL=https://${s.domain}`,
    ];
    if (role === "replica") {
      lines.push(`MATERIA_TRUSTED_PROXIES=${lbIp}`);
    } else {
      // read by materia-backup.service (EnvironmentFile=): the backup bucket of this stack
      lines.push(`MATERIA_BACKUP_REMOTE=r2:${s.landingBucket}/landing`, `MATERIA_BACKUP_APP_REMOTE=r2:${s.landingBucket}/app`);
    }
    return lines.join("\n") + "\n";
  });
}

function rcloneConf(s: Settings): pulumi.Output<string> {
  return pulumi.all([s.r2AccessKeyId, s.r2SecretAccessKey]).apply(([id, key]) =>
    ["[r2]", "type = s3", "provider = Cloudflare", `access_key_id = ${id}`, `secret_access_key = ${key}`,
     `endpoint = ${r2Endpoint(s)}`, "acl = private", "no_check_bucket = true", ""].join("\n"));
}

/** The user-data of a server of this role (a secret Output). */
export function userData(s: Settings, role: Role, lbIp: string): pulumi.Output<string> {
  const files: pulumi.Output<string>[] = [envFile(s, role, lbIp)];
  if (role === "pipeline") files.push(rcloneConf(s));
  return pulumi.all(files).apply(([env, rclone]) => {
    const writeFiles = [{ path: `${INIT_DIR}/materia.env`, owner: "root:root", permissions: "0600", content: env }];
    const bootstrapEnv = [`MATERIA_REPO_URL=${s.repoUrl}`, `MATERIA_BRANCH=${s.branch}`, `MATERIA_ROLE=${role}`,
                          `MATERIA_ENV_FILE=${INIT_DIR}/materia.env`];
    if (rclone !== undefined) {
      writeFiles.push({ path: `${INIT_DIR}/rclone.conf`, owner: "root:root", permissions: "0600", content: rclone });
      bootstrapEnv.push(`MATERIA_RCLONE_FILE=${INIT_DIR}/rclone.conf`);
    }
    const doc = {
      package_update: true,
      packages: ["git", "ca-certificates"],
      write_files: writeFiles,
      runcmd: [
        ["git", "clone", "--quiet", "--depth", "1", "--branch", s.branch, s.repoUrl, `${INIT_DIR}/src`],
        ["env", ...bootstrapEnv, BOOTSTRAP],
        ["rm", "-rf", INIT_DIR],
      ],
    };
    return "#cloud-config\n" + JSON.stringify(doc, null, 2) + "\n";
  });
}
