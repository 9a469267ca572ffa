#!/usr/bin/env node
// node_reactivate.js URL N CONCURRENCY [FIRST]
//
// The same reactivation run as reactivate.lua, with the OFFICIAL Alibaba Cloud Node.js SDK
// (@alicloud/ecs20140526 on @alicloud/openapi-core; default V3 / ACS3-HMAC-SHA256 signing, no
// retries): N reActivateInstances calls for i-bench<FIRST>..i-bench<FIRST+N-1> through a
// promise pool of CONCURRENCY workers, against URL (an ecs-sim, http on loopback).
// Prints one JSON line: calls, ok, errors by code, wall_s (the pool only), cpu_user_s and
// cpu_sys_s of the pool (process.cpuUsage delta) and of the whole process so far.
// The packages are found through NODE_PATH (run.sh sets it to tests/bench/.npm-cache/node_modules).
'use strict';

const [url, nArg, concArg, firstArg] = process.argv.slice(2);
if (!url || !nArg) {
  console.error('usage: node_reactivate.js URL N CONCURRENCY [FIRST]');
  process.exit(2);
}
const n = Number(nArg);
const conc = Number(concArg || 64);
const first = Number(firstArg || 1);

const Ecs = require('@alicloud/ecs20140526');
const { $OpenApiUtil } = require('@alicloud/openapi-core');

const u = new URL(url);
const client = new Ecs.default(new $OpenApiUtil.Config({
  accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID || 'sim-ak',
  accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET || 'sim-secret',
  regionId: 'cn-hangzhou',
  endpoint: u.host,                       // host:port of the simulator
  protocol: u.protocol.replace(':', ''),  // "http"
}));

const id = (i) => 'i-bench' + String(first + i).padStart(5, '0');

async function main() {
  const errors = {};
  let ok = 0;
  let next = 0;
  let firstError = null;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  async function worker() {
    while (next < n) {
      const i = next++;
      const req = new Ecs.ReActivateInstancesRequest({ regionId: 'cn-hangzhou', instanceId: id(i) });
      try {
        const res = await client.reActivateInstances(req);
        if (res.statusCode === 200 && res.body && res.body.requestId) ok++;
        else errors.EBODY = (errors.EBODY || 0) + 1;
      } catch (e) {
        const code = e.code || e.name || String(e);
        errors[code] = (errors[code] || 0) + 1;
        if (!firstError) {
          firstError = { instance_id: id(i), name: e.name, code: e.code, statusCode: e.statusCode,
                         message: e.message, data: e.data };
        }
      }
    }
  }
  const workers = [];
  for (let w = 0; w < Math.min(conc, n); w++) workers.push(worker());
  await Promise.all(workers);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const total = process.cpuUsage();
  const out = { client: 'node-sdk', calls: n, concurrency: conc, ok, errors, wall_s: wall,
                cpu_user_s: cpu.user / 1e6, cpu_sys_s: cpu.system / 1e6,
                process_cpu_s: (total.user + total.system) / 1e6 };
  if (firstError) out.first_error = firstError;
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
