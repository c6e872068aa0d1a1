'use strict';
// Server reflection with a client this project did not write: the npm
// package grpc-js-reflection-client on @grpc/grpc-js (pinned in
// deploy/tools, installed by deploy/install-deps.sh), against the real
// clusterd, over both grpc.reflection.v1 and grpc.reflection.v1alpha.
//
// It lists the services, fetches descriptors by symbol and by file name,
// and calls GetCluster on a cluster that clusterctl created, with a stub
// built ONLY from the descriptors reflection returned (no .proto file is
// read here). With a tokens file, reflection needs a token (role reader).
//
// Run by ctest as `node --test` with CLUSTERD_BIN and CLUSTERCTL_BIN set;
// CLUSTERD_NODE_TOOLS names deploy/tools (default: found from here).

const test = require('node:test');
const assert = require('node:assert');
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');

const TOOLS = process.env.CLUSTERD_NODE_TOOLS ||
  path.join(__dirname, '..', '..', 'deploy', 'tools');
const toolRequire = createRequire(path.join(TOOLS, 'package.json'));
const { GrpcReflection } = toolRequire('grpc-js-reflection-client');
const grpc = toolRequire('@grpc/grpc-js');

const BIN = process.env.CLUSTERD_BIN;
const CTL = process.env.CLUSTERCTL_BIN;
const VERSIONS = ['v1', 'v1alpha'];
const SERVICES = [
  'clusters.v1.AdminService',
  'clusters.v1.AuditService',
  'clusters.v1.ClusterRegistry',
  'clusters.v1.CompetitionService',
  'clusters.v1.PluginService',
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

// One clusterd on an ephemeral port with a temporary data directory, as
// tests/service/clusterd_harness.py starts it.
async function startServer(...flags) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clusterd-node-'));
  const portFile = path.join(dir, 'port');
  const logPath = path.join(dir, 'clusterd.log');
  const log = fs.openSync(logPath, 'a');
  const proc = spawn(BIN, ['--listen', '127.0.0.1:0', '--data-dir',
    path.join(dir, 'data'), '--port-file', portFile, ...flags],
  { stdio: ['ignore', 'ignore', log] });
  fs.closeSync(log);
  let exited = null;
  const done = new Promise((resolve) => proc.on('exit', (code, sig) => {
    exited = code === null ? 128 + os.constants.signals[sig] : code;
    resolve(exited);
  }));
  const limit = Date.now() + 60000;
  while (!fs.existsSync(portFile)) {
    if (exited !== null || Date.now() > limit) {
      proc.kill('SIGKILL');
      throw new Error('clusterd did not start:\n' +
        fs.readFileSync(logPath, 'utf8'));
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const port = fs.readFileSync(portFile, 'utf8').trim();
  return {
    dir,
    address: '127.0.0.1:' + port,
    log: () => fs.readFileSync(logPath, 'utf8'),
    // SIGTERM, then the exit status (0 for a clean, leak-free stop).
    stop: async () => {
      if (exited === null) proc.kill('SIGTERM');
      const code = await done;
      if (code !== 0) {
        process.stderr.write('clusterd exited with ' + code + ':\n' +
          fs.readFileSync(logPath, 'utf8').slice(-4000));
      }
      fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

function ctl(address, ...args) {
  return execFileSync(CTL, ['--server', address, ...args],
    { encoding: 'utf8', timeout: 60000 });
}

function reflection(address, version) {
  return new GrpcReflection(address, grpc.credentials.createInsecure(), {},
    version);
}

function close(r) {
  r.client.close();
}

// A ClusterRegistry stub made from what reflection returned alone.
async function registryFromReflection(address, version, md) {
  const r = reflection(address, version);
  try {
    const descriptor = await r.getDescriptorBySymbol(
      'clusters.v1.ClusterRegistry', md);
    const pkg = descriptor.getPackageObject({
      keepCase: true, longs: String, enums: String, defaults: true,
    });
    const Registry = pkg.clusters.v1.ClusterRegistry;
    assert.strictEqual(typeof Registry, 'function');
    return new Registry(address, grpc.credentials.createInsecure());
  } finally {
    close(r);
  }
}

function unary(stub, method, req, md) {
  return new Promise((resolve, reject) => {
    stub[method](req, md || new grpc.Metadata(), { deadline:
      Date.now() + 30000 }, (err, resp) => (err ? reject(err) :
      resolve(resp)));
  });
}

test('reflection from grpc-js-reflection-client', async (t) => {
  const srv = await startServer('--threads', '2');
  try {
    const file = path.join(srv.dir, 'cluster.json');
    fs.writeFileSync(file, JSON.stringify({
      id: 'node-refl', name: 'Reflected Valley', economy: 'DE',
      cities: ['Jena'], industry: 'optics',
      indicators: [{ name: 'patents', value: 12.5, year: 2023 }],
      labels: { source: 'node' },
    }));
    ctl(srv.address, 'cluster', 'create', file);

    for (const version of VERSIONS) {
      await t.test(`${version}: list_services`, async () => {
        const r = reflection(srv.address, version);
        try {
          const got = await r.listServices();
          assert.deepStrictEqual([...got].sort(), SERVICES);
        } finally {
          close(r);
        }
      });

      await t.test(`${version}: GetCluster through reflected descriptors`,
        async () => {
          const stub = await registryFromReflection(srv.address, version);
          try {
            const c = await unary(stub, 'GetCluster', { id: 'node-refl' });
            assert.strictEqual(c.id, 'node-refl');
            assert.strictEqual(c.name, 'Reflected Valley');
            assert.strictEqual(c.economy, 'DE');
            assert.deepStrictEqual(c.cities, ['Jena']);
            assert.strictEqual(c.indicators.length, 1);
            assert.strictEqual(c.indicators[0].name, 'patents');
            assert.strictEqual(c.indicators[0].value, 12.5);
            // The map as an object; this client's own round trip of the
            // descriptors (protobufjs 8 toDescriptor, then proto-loader's
            // protobufjs 7) turns maps into lists of {key, value} entries,
            // although the served descriptor marks LabelsEntry map_entry
            // (reflection_test.py checks that): accept either shape.
            const labels = Array.isArray(c.labels)
              ? Object.fromEntries(c.labels.map((e) => [e.key, e.value]))
              : c.labels;
            assert.deepStrictEqual(labels, { source: 'node' });
            assert.ok(c.etag.length > 0);
            // A Timestamp from google/protobuf/timestamp.proto, which
            // came as an import of clusters.proto.
            assert.ok(Number(c.create_time.seconds) > 1600000000);
            // And a status back through the same stub.
            await assert.rejects(unary(stub, 'GetCluster', { id: 'nope' }),
              (e) => e.code === grpc.status.NOT_FOUND &&
                /not found/.test(e.details));
          } finally {
            stub.close();
          }
        });

      await t.test(`${version}: file_by_filename with its imports`,
        async () => {
          const r = reflection(srv.address, version);
          try {
            const d = await r.getDescriptorByFileName(
              'clusters/v1/competitions.proto');
            const root = d.getProtobufJsRoot();
            assert.ok(root.lookupType('clusters.v1.Competition'));
            assert.ok(root.lookupService('clusters.v1.CompetitionService'));
            // Imported, and imported by an import (status.proto).
            assert.ok(root.lookupType('clusters.v1.Plugin'));
            assert.ok(root.lookupType('google.rpc.Status'));
            assert.ok(root.lookupType('google.protobuf.Any'));
            const methods = await r.listMethods(
              'clusters.v1.CompetitionService');
            assert.ok(methods.map((m) => m.name).includes('StartRun'));
          } finally {
            close(r);
          }
        });

      await t.test(`${version}: unknown names and extensions`, async () => {
        const r = reflection(srv.address, version);
        try {
          await assert.rejects(r.getDescriptorBySymbol('clusters.v1.Nope'),
            /symbol "clusters.v1.Nope" not found/);
          await assert.rejects(r.getDescriptorByFileName('nope.proto'),
            /file "nope.proto" not found/);
          const ext = await r.getAllExtensionNumbersOfType(
            'clusters.v1.Cluster');
          assert.strictEqual(ext.base_type_name, 'clusters.v1.Cluster');
          assert.deepStrictEqual(ext.extension_number, []);
          await assert.rejects(
            r.getAllExtensionNumbersOfType('clusters.v1.Nope'),
            /type "clusters.v1.Nope" not found/);
        } finally {
          close(r);
        }
      });
    }
  } finally {
    assert.strictEqual(await srv.stop(), 0);
  }
});

test('reflection needs a token when the server has a tokens file',
  async (t) => {
    const token = crypto.randomBytes(32).toString('hex');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clusterd-node-tok-'));
    const tokens = path.join(dir, 'tokens');
    const sha = crypto.createHash('sha256').update(token).digest('hex');
    fs.writeFileSync(tokens, `${sha} reader-1 reader\n`, { mode: 0o600 });
    const srv = await startServer('--auth-tokens', tokens);
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer ' + token);
    try {
      for (const version of VERSIONS) {
        await t.test(`${version}: without and with the token`, async () => {
          const r = reflection(srv.address, version);
          try {
            await assert.rejects(r.listServices(),
              /UNAUTHENTICATED|missing credentials/);
            const got = await r.listServices('*', md);
            assert.deepStrictEqual([...got].sort(), SERVICES);
          } finally {
            close(r);
          }
          const stub = await registryFromReflection(srv.address, version,
            md);
          try {
            await assert.rejects(unary(stub, 'GetCluster', { id: 'x' }),
              (e) => e.code === grpc.status.UNAUTHENTICATED);
            await assert.rejects(unary(stub, 'GetCluster', { id: 'x' }, md),
              (e) => e.code === grpc.status.NOT_FOUND);
          } finally {
            stub.close();
          }
        });
      }
    } finally {
      assert.strictEqual(await srv.stop(), 0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
