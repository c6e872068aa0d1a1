// What deploy/k8s promises beyond the schema (validate-k8s.mjs checks
// that): hardened pods, the single writer on its volume, probes, the
// Secret's mode, Services that select pods and name their ports, the
// replicas' --primary, the ServiceMonitor's target.
// Usage: node k8s_policy.mjs SOURCE_DIR
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const src = process.argv[2];
const require = createRequire(path.join(src, "deploy/tools/package.json"));
const { parseAllDocuments } = require("yaml");

const objs = [];
function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith(".yaml"))
      for (const d of parseAllDocuments(fs.readFileSync(p, "utf8"), { version: "1.1" }))
        if (d.toJS()) objs.push({ file: path.relative(src, p), ...d.toJS() });
  }
}
walk(path.join(src, "deploy/k8s"));

const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };
const of = (kind) => objs.filter((o) => o.kind === kind);
const matches = (sel, labels) =>
  Object.entries(sel ?? {}).every(([k, v]) => labels?.[k] === v);

const workloads = [...of("StatefulSet"), ...of("Deployment")];
check(workloads.length >= 2, "a StatefulSet and a Deployment");
for (const w of workloads) {
  const at = `${w.kind} ${w.metadata.name}`;
  const pod = w.spec.template.spec;
  const psc = pod.securityContext ?? {};
  check(psc.runAsNonRoot === true && psc.runAsUser === 10001 &&
        psc.runAsGroup === 10001 && psc.fsGroup === 10001,
        `${at}: pod runs as non-root 10001:10001 with fsGroup 10001`);
  check(psc.seccompProfile?.type === "RuntimeDefault", `${at}: seccomp RuntimeDefault`);
  check(pod.automountServiceAccountToken === false, `${at}: no service account token`);
  check(pod.shareProcessNamespace === true, `${at}: the reload sidecar sees clusterd`);
  check(matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels),
        `${at}: the selector matches the pod's labels`);
  const all = [...(pod.initContainers ?? []), ...pod.containers];
  for (const c of all) {
    const sc = c.securityContext ?? {};
    check(sc.allowPrivilegeEscalation === false && sc.readOnlyRootFilesystem === true &&
          sc.runAsNonRoot === true && (sc.capabilities?.drop ?? []).includes("ALL"),
          `${at} container ${c.name}: hardened securityContext`);
    check(c.resources?.requests?.cpu && c.resources?.requests?.memory &&
          c.resources?.limits?.cpu && c.resources?.limits?.memory,
          `${at} container ${c.name}: requests and limits`);
  }
  const server = pod.containers.find((c) => c.name === "clusterd");
  check(server, `${at}: a container named clusterd`);
  if (!server) continue;
  for (const p of ["livenessProbe", "readinessProbe", "startupProbe"])
    check(server[p]?.exec?.command?.[0] === "/usr/local/bin/clusterd-healthcheck" ||
          server[p]?.grpc?.port === 50051, `${at}: ${p} on grpc.health.v1`);
  const ports = Object.fromEntries((server.ports ?? []).map((p) => [p.name, p.containerPort]));
  check(ports.grpc === 50051 && ports.metrics === 9090, `${at}: ports grpc 50051, metrics 9090`);
  const args = server.args ?? [];
  for (const a of ["--auth-tokens=/run/secrets/clusterd/tokens",
                   "--tls-cert=/run/secrets/clusterd/tls.crt",
                   "--tls-key=/run/secrets/clusterd/tls.key",
                   "--metrics-listen=0.0.0.0:9090"])
    check(args.includes(a), `${at}: clusterd ${a}`);
  const mounts = Object.fromEntries(server.volumeMounts.map((m) => [m.name, m]));
  check(mounts.data?.mountPath === "/var/lib/clusterd", `${at}: data at /var/lib/clusterd`);
  check(mounts.secrets?.mountPath === "/run/secrets/clusterd" && mounts.secrets.readOnly,
        `${at}: the copied secrets, read-only, at /run/secrets/clusterd`);
  const secret = pod.volumes.find((v) => v.secret);
  check(secret?.secret.secretName === "clusterd-secrets" && secret.secret.defaultMode === 0o440,
        `${at}: Secret clusterd-secrets mounted with mode 0440`);
  const copied = pod.volumes.find((v) => v.name === "secrets");
  check(copied?.emptyDir?.medium === "Memory", `${at}: secrets copied into memory only`);
  check(pod.initContainers?.some((c) => c.command?.join(" ").includes("clusterd-secrets copy")),
        `${at}: an init container copies the Secret`);
  check(pod.containers.some((c) => c.command?.join(" ").includes("clusterd-secrets watch")),
        `${at}: a sidecar copies it again and reloads`);
}

const writer = of("StatefulSet").find((s) => s.metadata.name === "clusterd");
check(writer?.spec.replicas === 1, "the writer StatefulSet clusterd has one replica");
check(writer?.spec.volumeClaimTemplates?.some((t) => t.metadata.name === "data" &&
      t.spec.accessModes.includes("ReadWriteOnce")), "the writer's data PVC template");
const headless = of("Service").find((s) => s.metadata.name === writer?.spec.serviceName);
check(headless?.spec.clusterIP === "None", "the StatefulSet's serviceName is a headless Service");
const replica = of("Deployment").find((d) => d.metadata.name === "clusterd-replica");
const rargs = replica?.spec.template.spec.containers.find((c) => c.name === "clusterd")?.args ?? [];
const primary = rargs[rargs.indexOf("--primary") + 1];
check(rargs.includes("--read-only") &&
      primary === `${writer?.metadata.name}-0.${writer?.spec.serviceName}:50051`,
      `the replicas follow the writer (--read-only --primary ${primary})`);
// A replica serves the writer's data: an init container backs the writer
// up and restores it into the directory the replica serves.
const rdir = rargs.find((a) => a.startsWith("--data-dir="))?.slice(11);
const fetch = (replica?.spec.template.spec.initContainers ?? [])
  .map((c) => [...(c.command ?? []), ...(c.args ?? [])].join(" "));
check(rdir && fetch.some((f) => f.includes("admin backup") &&
      f.includes(`--server ${primary}`) && f.includes(`--data-dir ${rdir}`) &&
      f.includes("clusterd --restore")),
      `a replica restores a backup of ${primary} into its --data-dir (${rdir})`);
const refresh = of("CronJob").find((j) => j.metadata.name === "clusterd-replica-refresh");
check(refresh?.spec.jobTemplate.spec.template.spec.containers
        .some((c) => c.command?.join(" ").includes("rollout restart deployment/clusterd-replica")),
      "a CronJob restarts the replicas on a schedule, each fetching a new backup");
check(replica?.spec.strategy?.rollingUpdate?.maxUnavailable === 0,
      "replicas restart one at a time, a new one ready before an old one stops");

for (const s of of("Service")) {
  const pods = workloads.filter((w) => matches(s.spec.selector, w.spec.template.metadata.labels));
  check(pods.length > 0, `Service ${s.metadata.name} selects a workload`);
  for (const p of s.spec.ports)
    check(pods.every((w) => w.spec.template.spec.containers
            .some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort))),
          `Service ${s.metadata.name} port ${p.name}: target ${p.targetPort} exists`);
}
for (const m of of("ServiceMonitor")) {
  const targets = of("Service").filter((s) => matches(m.spec.selector.matchLabels, s.metadata.labels) &&
    s.spec.ports.some((p) => m.spec.endpoints.some((e) => e.port === p.name)));
  check(targets.length >= 2, `ServiceMonitor ${m.metadata.name} scrapes the writer and the replicas`);
}

for (const p of problems) console.log(`k8s_policy: ${p}`);
console.log(`k8s_policy: ${objs.length} objects, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
