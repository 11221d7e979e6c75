// Shared helpers of the Node end-to-end programs (kinesis_suite.mjs, auth.mjs):
// argument parsing, a TAP-like runner with a hard timeout per test and for the
// whole program, bounded polling, an observer of the HTTP/2 sessions the SDK
// opens, a direct node:http2 request, and assertions on AWS errors.
// The programs never configure the SDK's request handler: they watch
// node:http2.connect to prove that the default handler spoke HTTP/2.

import assert from "node:assert/strict";
import crypto from "node:crypto";
import http2 from "node:http2";

import {
  DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand,
} from "@aws-sdk/client-kinesis";

export { assert };

export const REGION = "us-east-1";
export const MAX_HASH = (1n << 128n) - 1n;
const POLL_INTERVAL_MS = 10;

/** --name value pairs from argv: {endpoint, ...}. */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf("=");
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else out[a.slice(2)] = argv[++i];
  }
  if (!out.endpoint) throw new Error("--endpoint URL is required");
  return out;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `what` timed out after ms (the timer never keeps node alive). */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `probe` until it returns a truthy value; fails after timeoutMs. */
export async function pollUntil(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(POLL_INTERVAL_MS); // pause between polls, not a synchronisation
  }
}

/** A one-shot event the reshard test's writer and driver wait on. */
export function latch() {
  let open;
  const promise = new Promise((resolve) => { open = resolve; });
  return { promise, open };
}

/**
 * TAP-like runner: `ok N - name` / `not ok N - name` with `# ` diagnostics,
 * `1..N` and a closing `N passed, N failed` line. Exits non-zero on any
 * failure or when the whole run exceeds totalTimeoutMs.
 */
export class Tap {
  constructor(totalTimeoutMs) {
    this.tests = [];
    this.passed = 0;
    this.failed = 0;
    const t = setTimeout(() => {
      const n = this.passed + this.failed + 1;
      console.log(`not ok ${n} - whole run timed out after ${totalTimeoutMs} ms`);
      console.log(`# ${this.passed} passed, ${this.failed + 1} failed`);
      process.exit(2);
    }, totalTimeoutMs);
    t.unref();
  }

  test(name, timeoutMs, fn) {
    this.tests.push({ name, timeoutMs, fn });
  }

  async run(only) {
    const selected = this.tests.filter((t) => !only || only.split(",").includes(t.name));
    console.log(`1..${selected.length}`);
    let n = 0;
    for (const t of selected) {
      n++;
      const started = Date.now();
      try {
        await withTimeout(Promise.resolve().then(t.fn), t.timeoutMs, t.name);
        this.passed++;
        console.log(`ok ${n} - ${t.name} (${Date.now() - started} ms)`);
      } catch (e) {
        this.failed++;
        console.log(`not ok ${n} - ${t.name} (${Date.now() - started} ms)`);
        for (const line of describeError(e).split("\n")) console.log(`#   ${line}`);
      }
    }
    console.log(`${this.passed} passed, ${this.failed} failed`);
    // Sessions, timers and sockets left by a failed test must not keep us up.
    process.exit(this.failed ? 1 : 0);
  }
}

export function describeError(e) {
  if (!(e instanceof Error)) return String(e);
  const parts = [`${e.name}: ${e.message}`];
  if (e.$metadata) parts.push(`$metadata: ${JSON.stringify(e.$metadata)}`);
  if (e.code) parts.push(`code: ${e.code}`);
  if (e.cause) parts.push(`cause: ${describeError(e.cause)}`);
  if (e.stack) parts.push(...e.stack.split("\n").slice(1, 6));
  return parts.join("\n");
}

/**
 * Awaits `promise`, which must reject with an AWS service error of this name
 * (and message and HTTP status when given); returns the error.
 */
export async function expectAwsError(promise, name, { message, status = 400 } = {}) {
  let err;
  try {
    const r = await promise;
    assert.fail(`expected ${name}, got a success: ${JSON.stringify(r).slice(0, 300)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  assert.equal(err.name, name, `error name (message: ${err.message})`);
  if (message !== undefined) {
    if (message instanceof RegExp) assert.match(err.message, message);
    else assert.equal(err.message, message);
  }
  assert.equal(err.$metadata?.httpStatusCode, status, `HTTP status of ${name}`);
  assert.equal(err.$fault, status >= 500 ? "server" : "client");
  return err;
}

/**
 * Watches every HTTP/2 session opened in this process through
 * node:http2.connect (which the SDK's default NodeHttp2Handler uses): how many,
 * to which authority, and with which protocol ('h2' over TLS, 'h2c' in clear).
 */
export class Http2Observer {
  constructor() {
    this.sessions = [];
    const original = http2.connect;
    const sessions = this.sessions;
    http2.connect = function observedConnect(authority, ...rest) {
      const session = original.call(this, authority, ...rest);
      const entry = { authority: String(authority), session, protocol: undefined,
        remoteSettings: undefined, goaway: false };
      session.once("connect", () => { entry.protocol = session.alpnProtocol; });
      session.once("remoteSettings", (s) => { entry.remoteSettings = s; });
      session.once("goaway", () => { entry.goaway = true; });
      sessions.push(entry);
      return session;
    };
  }

  get count() {
    return this.sessions.length;
  }

  /** Asserts that the sessions opened since index `from` all spoke HTTP/2. */
  assertAllHttp2(from, expectedProtocol, atLeast = 1) {
    const opened = this.sessions.slice(from);
    assert.ok(opened.length >= atLeast,
      `expected the SDK to open >= ${atLeast} HTTP/2 session(s), it opened ${opened.length}`);
    for (const s of opened) {
      assert.equal(s.protocol, expectedProtocol,
        `session to ${s.authority} negotiated ${s.protocol}, want ${expectedProtocol}`);
    }
    return opened;
  }
}

/** 'h2' for https endpoints (ALPN), 'h2c' for http (prior knowledge). */
export function expectedProtocol(endpoint) {
  return new URL(endpoint).protocol === "https:" ? "h2" : "h2c";
}

/**
 * One Kinesis call straight through node:http2 (no SDK, unsigned):
 * resolves {status, headers, body (parsed JSON), alpn, remoteSettings}.
 */
export function directHttp2Call(endpoint, target, payload, timeoutMs = 30_000) {
  return withTimeout(new Promise((resolve, reject) => {
    const session = http2.connect(endpoint);
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": "/",
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `Kinesis_20131202.${target}`,
    });
    const chunks = [];
    let headers;
    req.on("response", (h) => { headers = h; });
    req.on("data", (c) => chunks.push(c));
    req.on("error", reject);
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const result = {
        status: headers?.[":status"], headers, alpn: session.alpnProtocol,
        remoteSettings: session.remoteSettings,
        body: text ? JSON.parse(text) : undefined,
      };
      session.close();
      resolve(result);
    });
    req.end(JSON.stringify(payload));
  }), timeoutMs, `direct HTTP/2 ${target}`);
}

/** The shard a partition key routes to among `shards` (by MD5 hash key). */
export function hashKeyOf(partitionKey) {
  return BigInt("0x" + crypto.createHash("md5").update(partitionKey, "utf8").digest("hex"));
}

export function shardFor(shards, partitionKey) {
  const h = hashKeyOf(partitionKey);
  const s = shards.find((x) => BigInt(x.HashKeyRange.StartingHashKey) <= h &&
    h <= BigInt(x.HashKeyRange.EndingHashKey));
  return s?.ShardId;
}

export function bytesEqual(a, b) {
  return Buffer.from(a).equals(Buffer.from(b));
}

export function text(bytes) {
  return Buffer.from(bytes).toString("utf8");
}

// ---- Kinesis helpers (the client is built by each program) ----

/** Polls DescribeStreamSummary until ACTIVE (bounded); returns the summary. */
export async function waitActive(client, name, timeoutMs = 60_000) {
  return pollUntil(`stream ${name} ACTIVE`, async () => {
    const s = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name })))
      .StreamDescriptionSummary;
    return s.StreamStatus === "ACTIVE" ? s : null;
  }, timeoutMs);
}

/**
 * Every record of a shard from a position: to the end of a closed shard, or
 * until caught up on an open one. Returns {records, last} (last response).
 */
export async function readShard(client, stream, shardId, iteratorType = "TRIM_HORIZON",
  extra = {}) {
  let it = (await client.send(new GetShardIteratorCommand({
    StreamName: stream, ShardId: shardId, ShardIteratorType: iteratorType, ...extra,
  }))).ShardIterator;
  const records = [];
  let emptyInARow = 0;
  for (let i = 0; i < 100_000; i++) {
    const r = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10000 }));
    records.push(...r.Records);
    it = r.NextShardIterator;
    emptyInARow = r.Records.length ? 0 : emptyInARow + 1;
    if (!it || (emptyInARow && r.MillisBehindLatest === 0) || emptyInARow >= 3) {
      return { records, last: r };
    }
  }
  throw new Error(`shard ${shardId} of ${stream} never caught up`);
}

/** The account id in a stream's ARN. */
export async function accountOf(client, stream) {
  const arn = (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream })))
    .StreamDescriptionSummary.StreamARN;
  return arn.split(":")[4];
}
