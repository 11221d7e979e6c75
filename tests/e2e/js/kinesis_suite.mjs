// The AWS SDK for JavaScript v3 against a real tidelogd, over HTTP/2: the
// client is configured with ONLY endpoint, region and static credentials, so
// every call goes through the SDK's default NodeHttp2Handler (h2c prior
// knowledge for http://, ALPN h2 for https://). Covers what the boto3 e2e
// tests cover: stream lifecycle, PutRecord(s), every shard iterator type,
// GetRecords byte-exact read back, resharding while a writer keeps putting,
// AWS error names/messages/status codes, many concurrent calls, and a
// several-MiB GetRecords response. Every session the SDK opens is checked to
// have spoken HTTP/2.
//
//   node kinesis_suite.mjs --endpoint http://127.0.0.1:PORT [--only name,name]
//   (for https, NODE_EXTRA_CA_CERTS=<tidelogd's cert.pem>)
// Prints TAP-like lines; exits non-zero on any failure.

import crypto from "node:crypto";
import {
  CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand,
  DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient,
  ListShardsCommand, ListStreamsCommand, MergeShardsCommand, PutRecordCommand,
  PutRecordsCommand, SplitShardCommand, UpdateShardCountCommand,
  DeregisterStreamConsumerCommand, RegisterStreamConsumerCommand, SubscribeToShardCommand,
} from "@aws-sdk/client-kinesis";
import {
  MAX_HASH, REGION, Tap, accountOf, assert, bytesEqual, directHttp2Call, expectAwsError,
  expectedProtocol, Http2Observer, latch, parseArgs, pollUntil, readShard, shardFor, text,
  waitActive,
} from "./lib.mjs";

const args = parseArgs();
const ENDPOINT = args.endpoint;
const PROTOCOL = expectedProtocol(ENDPOINT);
const observer = new Http2Observer(); // before any client exists

const credentials = { accessKeyId: args["access-key-id"] ?? "AKIDEXAMPLE",
  secretAccessKey: args["secret-access-key"] ?? "secret" };
// Only endpoint, region and static credentials: the default request handler.
const kinesis = new KinesisClient({ endpoint: ENDPOINT, region: REGION, credentials });

const send = (command) => kinesis.send(command);
const tap = new Tap(Number(args["total-timeout-ms"] ?? 170_000));
let account;
// Stream names, with --prefix so the suite can run twice against one broker.
const S = Object.fromEntries(["life", "puts", "batch", "it", "reshard", "errs", "conc", "mux",
  "big", "sub"].map((n) => [n, `${args.prefix ?? ""}${n}`]));

async function createActive(name, shards) {
  await send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  return waitActive(kinesis, name);
}

async function allRecords(stream) {
  const shards = (await send(new ListShardsCommand({ StreamName: stream }))).Shards;
  const out = {};
  for (const s of shards) out[s.ShardId] = (await readShard(kinesis, stream, s.ShardId)).records;
  return out;
}

tap.test("default request handler is HTTP/2 and the server speaks it", 30_000, async () => {
  const handler = kinesis.config.requestHandler;
  assert.equal(handler.constructor.name, "NodeHttp2Handler");
  assert.equal(handler.metadata?.handlerProtocol, "h2");
  const before = observer.count;
  const r = await send(new ListStreamsCommand({}));
  assert.ok(Array.isArray(r.StreamNames));
  assert.equal(r.$metadata.httpStatusCode, 200);
  observer.assertAllHttp2(before, PROTOCOL);
  // The same port through node:http2 directly, with no SDK in between.
  const direct = await directHttp2Call(ENDPOINT, "ListStreams", {});
  assert.equal(direct.alpn, PROTOCOL);
  assert.equal(direct.status, 200, JSON.stringify(direct.body));
  assert.equal(direct.headers["content-type"], "application/x-amz-json-1.1");
  assert.ok(direct.headers["x-amzn-requestid"], "x-amzn-RequestId header");
  assert.ok(Array.isArray(direct.body.StreamNames));
  assert.ok(direct.remoteSettings.maxConcurrentStreams >= 100,
    `server's MAX_CONCURRENT_STREAMS ${direct.remoteSettings.maxConcurrentStreams}`);
});

tap.test("stream lifecycle: create, describe, list, delete", 60_000, async () => {
  const before = observer.count;
  await send(new CreateStreamCommand({ StreamName: S.life, ShardCount: 3 }));
  const summary = await waitActive(kinesis, S.life);
  account = summary.StreamARN.split(":")[4];
  assert.match(account, /^\d{12}$/);
  assert.equal(summary.StreamARN, `arn:aws:kinesis:us-east-1:${account}:stream/${S.life}`);
  assert.equal(summary.OpenShardCount, 3);
  assert.equal(summary.ConsumerCount, 0);
  assert.equal(summary.RetentionPeriodHours, 24);

  const d = (await send(new DescribeStreamCommand({ StreamName: S.life }))).StreamDescription;
  assert.equal(d.StreamName, S.life);
  assert.equal(d.StreamStatus, "ACTIVE");
  assert.equal(d.StreamARN, summary.StreamARN);
  assert.deepEqual(d.StreamModeDetails, { StreamMode: "PROVISIONED" });
  assert.equal(d.EncryptionType, "NONE");
  assert.equal(d.HasMoreShards, false);
  assert.ok(d.StreamCreationTimestamp instanceof Date);
  assert.ok(Math.abs(Date.now() - d.StreamCreationTimestamp.getTime()) < 600_000);
  assert.deepEqual(d.Shards.map((s) => s.ShardId),
    ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]);
  assert.deepEqual(d.Shards[0].HashKeyRange,
    { StartingHashKey: "0", EndingHashKey: "113427455640312821154458202477256070484" });
  assert.equal(d.Shards[2].HashKeyRange.EndingHashKey, MAX_HASH.toString());
  for (const s of d.Shards) {
    assert.match(s.SequenceNumberRange.StartingSequenceNumber, /^\d+$/);
    assert.equal(s.SequenceNumberRange.EndingSequenceNumber, undefined);
  }
  const byArn = await send(new DescribeStreamSummaryCommand({ StreamARN: d.StreamARN }));
  assert.equal(byArn.StreamDescriptionSummary.StreamName, S.life);

  const listed = await send(new ListStreamsCommand({}));
  assert.ok(listed.StreamNames.includes(S.life));
  const entry = listed.StreamSummaries.find((s) => s.StreamName === S.life);
  assert.equal(entry.StreamStatus, "ACTIVE");
  assert.equal(entry.StreamARN, d.StreamARN);

  const shards = await send(new ListShardsCommand({ StreamName: S.life, MaxResults: 2 }));
  assert.deepEqual(shards.Shards.map((s) => s.ShardId),
    ["shardId-000000000000", "shardId-000000000001"]);
  const rest = await send(new ListShardsCommand({ NextToken: shards.NextToken }));
  assert.deepEqual(rest.Shards.map((s) => s.ShardId), ["shardId-000000000002"]);
  assert.equal(rest.NextToken, undefined);

  await expectAwsError(send(new CreateStreamCommand({ StreamName: S.life, ShardCount: 1 })),
    "ResourceInUseException",
    { message: `Stream ${S.life} under account ${account} already exists.` });
  await send(new DeleteStreamCommand({ StreamName: S.life }));
  const notFound = `Stream ${S.life} under account ${account} not found.`;
  await pollUntil("life deleted", async () => {
    const names = (await send(new ListStreamsCommand({}))).StreamNames;
    return !names.includes(S.life);
  });
  await expectAwsError(send(new DescribeStreamCommand({ StreamName: S.life })),
    "ResourceNotFoundException", { message: notFound });
  await expectAwsError(send(new DeleteStreamCommand({ StreamName: S.life })),
    "ResourceNotFoundException", { message: notFound });
  observer.assertAllHttp2(before, PROTOCOL, 10);
});

tap.test("PutRecord: routing, ExplicitHashKey, SequenceNumberForOrdering, read back", 60_000,
  async () => {
    const before = observer.count;
    await createActive(S.puts, 2);
    const shards = (await send(new ListShardsCommand({ StreamName: S.puts }))).Shards;
    const data = Uint8Array.from([0, 104, 101, 108, 108, 111, 255]); // \0hello\xff
    const r1 = await send(new PutRecordCommand({ StreamName: S.puts, PartitionKey: "user-3",
      Data: data }));
    assert.match(r1.SequenceNumber, /^\d+$/);
    assert.equal(r1.ShardId, shardFor(shards, "user-3"));
    const r2 = await send(new PutRecordCommand({ StreamName: S.puts, PartitionKey: "user-3",
      Data: new TextEncoder().encode("second"), SequenceNumberForOrdering: r1.SequenceNumber }));
    assert.ok(BigInt(r2.SequenceNumber) > BigInt(r1.SequenceNumber));
    assert.equal(r2.ShardId, r1.ShardId);
    const r3 = await send(new PutRecordCommand({ StreamName: S.puts, PartitionKey: "x",
      Data: new TextEncoder().encode("explicit"), ExplicitHashKey: MAX_HASH.toString() }));
    assert.equal(r3.ShardId, "shardId-000000000001");
    const r4 = await send(new PutRecordCommand({ StreamName: S.puts, PartitionKey: "x",
      Data: new TextEncoder().encode("explicit-0"), ExplicitHashKey: "0" }));
    assert.equal(r4.ShardId, "shardId-000000000000");

    const records = await allRecords(S.puts);
    const bySeq = new Map(Object.values(records).flat().map((r) => [r.SequenceNumber, r]));
    assert.equal(bySeq.size, 4);
    const got1 = bySeq.get(r1.SequenceNumber);
    assert.ok(bytesEqual(got1.Data, data), `bytes ${Buffer.from(got1.Data).toString("hex")}`);
    assert.equal(got1.PartitionKey, "user-3");
    assert.ok(got1.ApproximateArrivalTimestamp instanceof Date);
    assert.equal(text(bySeq.get(r2.SequenceNumber).Data), "second");
    assert.equal(text(bySeq.get(r3.SequenceNumber).Data), "explicit");
    assert.deepEqual(records[r1.ShardId].filter((r) => r.PartitionKey === "user-3")
      .map((r) => r.SequenceNumber), [r1.SequenceNumber, r2.SequenceNumber]);
    // By StreamARN too.
    const arn = (await send(new DescribeStreamSummaryCommand({ StreamName: S.puts })))
      .StreamDescriptionSummary.StreamARN;
    const r5 = await send(new PutRecordCommand({ StreamARN: arn, PartitionKey: "k",
      Data: new Uint8Array(0) }));
    assert.match(r5.SequenceNumber, /^\d+$/);
    observer.assertAllHttp2(before, PROTOCOL, 5);
  });

tap.test("PutRecords: 500 records, per-record results, order per shard", 60_000, async () => {
  await createActive(S.batch, 2);
  const shards = (await send(new ListShardsCommand({ StreamName: S.batch }))).Shards;
  const entries = Array.from({ length: 500 }, (_, i) => ({
    PartitionKey: `user-${i % 50}`, Data: new TextEncoder().encode(String(i).padStart(6, "0")),
  }));
  const r = await send(new PutRecordsCommand({ StreamName: S.batch, Records: entries }));
  assert.equal(r.FailedRecordCount, 0);
  assert.equal(r.Records.length, 500);
  const seqs = new Set();
  r.Records.forEach((res, i) => {
    assert.equal(res.ErrorCode, undefined, `record ${i}: ${res.ErrorCode} ${res.ErrorMessage}`);
    assert.equal(res.ShardId, shardFor(shards, entries[i].PartitionKey), `record ${i}`);
    assert.match(res.SequenceNumber, /^\d+$/);
    seqs.add(res.SequenceNumber);
  });
  assert.equal(seqs.size, 500, "distinct sequence numbers");

  const records = await allRecords(S.batch);
  const total = Object.values(records).reduce((n, rs) => n + rs.length, 0);
  assert.equal(total, 500);
  for (const [shardId, rs] of Object.entries(records)) {
    // Per shard: exactly the entries routed there, in the order sent.
    const expected = r.Records.map((res, i) => ({ res, i }))
      .filter((x) => x.res.ShardId === shardId);
    assert.deepEqual(rs.map((x) => x.SequenceNumber), expected.map((x) => x.res.SequenceNumber));
    rs.forEach((rec, j) => {
      const e = entries[expected[j].i];
      assert.ok(bytesEqual(rec.Data, e.Data));
      assert.equal(rec.PartitionKey, e.PartitionKey);
    });
  }
});

tap.test("GetShardIterator: every type; GetRecords paging", 60_000, async () => {
  const SHARD = "shardId-000000000000";
  await createActive(S.it, 1);
  const seqs = [];
  for (let i = 0; i < 10; i++) {
    seqs.push((await send(new PutRecordCommand({ StreamName: S.it, PartitionKey: "k",
      Data: new TextEncoder().encode(`r${i}`) }))).SequenceNumber);
  }
  const data = (rs) => rs.map((r) => text(r.Data));
  const want = (from, to = 10) => Array.from({ length: to - from }, (_, i) => `r${from + i}`);

  const th = await readShard(kinesis, S.it, SHARD, "TRIM_HORIZON");
  assert.deepEqual(data(th.records), want(0));
  assert.equal(th.last.MillisBehindLatest, 0);
  assert.deepEqual(th.records.map((r) => r.SequenceNumber), seqs);

  let it = (await send(new GetShardIteratorCommand({ StreamName: S.it, ShardId: SHARD,
    ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
  const paged = [];
  for (let i = 0; i < 20 && paged.length < 10; i++) {
    const r = await send(new GetRecordsCommand({ ShardIterator: it, Limit: 3 }));
    assert.ok(r.Records.length <= 3);
    paged.push(...data(r.Records));
    it = r.NextShardIterator;
  }
  assert.deepEqual(paged, want(0));

  const at = await readShard(kinesis, S.it, SHARD, "AT_SEQUENCE_NUMBER",
    { StartingSequenceNumber: seqs[3] });
  assert.deepEqual(data(at.records), want(3));
  assert.equal(at.records[0].SequenceNumber, seqs[3]);
  const after = await readShard(kinesis, S.it, SHARD, "AFTER_SEQUENCE_NUMBER",
    { StartingSequenceNumber: seqs[3] });
  assert.deepEqual(data(after.records), want(4));

  const latest = (await send(new GetShardIteratorCommand({ StreamName: S.it, ShardId: SHARD,
    ShardIteratorType: "LATEST" }))).ShardIterator;
  let r = await send(new GetRecordsCommand({ ShardIterator: latest }));
  assert.deepEqual(r.Records, []);
  await send(new PutRecordCommand({ StreamName: S.it, PartitionKey: "k",
    Data: new TextEncoder().encode("after-latest") }));
  r = await send(new GetRecordsCommand({ ShardIterator: r.NextShardIterator }));
  assert.deepEqual(data(r.Records), ["after-latest"]);

  // AT_TIMESTAMP: the SDK sends epoch seconds with milliseconds.
  const all = (await readShard(kinesis, S.it, SHARD)).records;
  const pivot = all[5].ApproximateArrivalTimestamp;
  const fromPivot = await readShard(kinesis, S.it, SHARD, "AT_TIMESTAMP", { Timestamp: pivot });
  assert.deepEqual(data(fromPivot.records),
    data(all.filter((x) => x.ApproximateArrivalTimestamp >= pivot)));
  assert.ok(data(fromPivot.records).includes("r5"));
  const old = await readShard(kinesis, S.it, SHARD, "AT_TIMESTAMP",
    { Timestamp: new Date(pivot.getTime() - 86_400_000) });
  assert.deepEqual(data(old.records), data(all));
  await expectAwsError(send(new GetShardIteratorCommand({ StreamName: S.it, ShardId: SHARD,
    ShardIteratorType: "AT_TIMESTAMP", Timestamp: new Date(Date.now() + 3_600_000) })),
  "InvalidArgumentException");
});

tap.test("resharding while writing: split, merge, UpdateShardCount; nothing lost or doubled",
  150_000, async () => {
    const TOTAL = 50_000;
    const BATCH = 500;
    const KEYS = 50;
    const STEPS = [25, 50, 75]; // batches written before each reshard starts
    await createActive(S.reshard, 1);
    const writer = new KinesisClient({ endpoint: ENDPOINT, region: REGION, credentials });
    const reached = Object.fromEntries(STEPS.map((s) => [s, latch()]));
    const resharded = Object.fromEntries(STEPS.map((s) => [s, latch()]));
    const write = (async () => {
      try {
        for (let b = 0; b < TOTAL / BATCH; b++) {
          const entries = [];
          for (let n = b * BATCH; n < (b + 1) * BATCH; n++) {
            entries.push({ PartitionKey: `user-${n % KEYS}`,
              Data: new TextEncoder().encode(String(n)) });
          }
          const r = await writer.send(new PutRecordsCommand({ StreamName: S.reshard,
            Records: entries }));
          if (r.FailedRecordCount) {
            throw new Error(`batch ${b}: ${r.FailedRecordCount} failed, e.g. ` +
              JSON.stringify(r.Records.filter((x) => x.ErrorCode).slice(0, 3)));
          }
          const done = b + 1;
          if (reached[done]) {
            reached[done].open();
            // The next batch goes out while the reshard is in progress.
            await resharded[done].promise;
          }
        }
      } finally {
        for (const s of STEPS) reached[s].open();
      }
    })();
    write.catch(() => {}); // awaited below; keeps an early failure from being unhandled

    const openShards = async () => (await send(new ListShardsCommand({ StreamName: S.reshard,
      ShardFilter: { Type: "AT_LATEST" } }))).Shards
      .sort((a, b) => (BigInt(a.HashKeyRange.StartingHashKey) <
        BigInt(b.HashKeyRange.StartingHashKey) ? -1 : 1));
    try {
      await reached[STEPS[0]].promise;
      await send(new SplitShardCommand({ StreamName: S.reshard,
        ShardToSplit: "shardId-000000000000",
        NewStartingHashKey: (1n << 127n).toString() }));
      resharded[STEPS[0]].open();
      await waitActive(kinesis, S.reshard);

      await reached[STEPS[1]].promise;
      const pair = await openShards();
      assert.deepEqual(pair.map((s) => s.ShardId),
        ["shardId-000000000001", "shardId-000000000002"]);
      await send(new MergeShardsCommand({ StreamName: S.reshard, ShardToMerge: pair[0].ShardId,
        AdjacentShardToMerge: pair[1].ShardId }));
      resharded[STEPS[1]].open();
      await waitActive(kinesis, S.reshard);

      await reached[STEPS[2]].promise;
      const u = await send(new UpdateShardCountCommand({ StreamName: S.reshard, TargetShardCount: 2,
        ScalingType: "UNIFORM_SCALING" }));
      assert.deepEqual([u.StreamName, u.CurrentShardCount, u.TargetShardCount], [S.reshard, 1, 2]);
      resharded[STEPS[2]].open();
      const s = await waitActive(kinesis, S.reshard);
      assert.equal(s.OpenShardCount, 2);
    } finally {
      for (const st of STEPS) resharded[st].open();
    }
    await write;
    writer.destroy();

    const shards = (await send(new ListShardsCommand({ StreamName: S.reshard }))).Shards;
    const byId = new Map(shards.map((s) => [s.ShardId, s]));
    assert.ok(shards.length >= 6, `shards: ${[...byId.keys()]}`);
    const merged = byId.get("shardId-000000000003");
    assert.equal(merged.ParentShardId, "shardId-000000000001");
    assert.equal(merged.AdjacentParentShardId, "shardId-000000000002");
    // Parents before children.
    const order = [];
    const done = new Set();
    while (order.length < shards.length) {
      const before = order.length;
      for (const sh of shards) {
        const parents = [sh.ParentShardId, sh.AdjacentParentShardId].filter(Boolean);
        if (!done.has(sh.ShardId) && parents.every((p) => done.has(p))) {
          order.push(sh.ShardId);
          done.add(sh.ShardId);
        }
      }
      assert.ok(order.length > before, "shard lineage has a cycle or a missing parent");
    }
    const seen = new Map();
    const perKey = new Map();
    for (const shardId of order) {
      const { records, last } = await readShard(kinesis, S.reshard, shardId);
      const closed = byId.get(shardId).SequenceNumberRange.EndingSequenceNumber !== undefined;
      if (closed) {
        assert.equal(last.NextShardIterator, undefined, `${shardId} is closed`);
        assert.ok(last.ChildShards?.length >= 1, `${shardId} names its children`);
      }
      assert.ok(records.length > 0, `${shardId} received part of the load`);
      for (const rec of records) {
        const n = Number(text(rec.Data));
        assert.ok(!seen.has(n), `record ${n} read twice (${seen.get(n)} and ${shardId})`);
        seen.set(n, shardId);
        assert.equal(rec.PartitionKey, `user-${n % KEYS}`);
        if (!perKey.has(rec.PartitionKey)) perKey.set(rec.PartitionKey, []);
        perKey.get(rec.PartitionKey).push(n);
      }
    }
    const missing = [];
    for (let n = 0; n < TOTAL; n++) if (!seen.has(n)) missing.push(n);
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} records missing`);
    assert.equal(seen.size, TOTAL);
    for (const [key, nums] of perKey) {
      assert.deepEqual(nums, [...nums].sort((a, b) => a - b), `order of ${key} broken`);
    }
  });

tap.test("errors: names, AWS messages, HTTP status", 60_000, async () => {
  await createActive(S.errs, 1);
  account ??= await accountOf(kinesis, S.errs);
  const SHARD = "shardId-000000000000";
  await expectAwsError(send(new DescribeStreamCommand({ StreamName: "missing" })),
    "ResourceNotFoundException", { message: `Stream missing under account ${account} not found.` });
  await expectAwsError(send(new PutRecordsCommand({ StreamName: "missing",
    Records: [{ PartitionKey: "k", Data: new Uint8Array([1]) }] })),
  "ResourceNotFoundException", { message: `Stream missing under account ${account} not found.` });
  await expectAwsError(send(new GetShardIteratorCommand({ StreamName: S.errs,
    ShardId: "shardId-000000000009", ShardIteratorType: "LATEST" })),
  "ResourceNotFoundException", { message: `Shard shardId-000000000009 in stream ${S.errs} under ` +
    `account ${account} does not exist` });
  await expectAwsError(send(new GetRecordsCommand({ ShardIterator: "AAAAAAAAAAA=" })),
    "InvalidArgumentException", { message: "Invalid ShardIterator." });
  await expectAwsError(send(new GetShardIteratorCommand({ StreamName: S.errs, ShardId: SHARD,
    ShardIteratorType: "AT_SEQUENCE_NUMBER" })), "InvalidArgumentException", {
    message: "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and " +
      "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. " +
      "Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber." });
  await expectAwsError(send(new PutRecordCommand({ StreamName: S.errs, PartitionKey: "k",
    Data: new Uint8Array(0), ExplicitHashKey: (1n << 128n).toString() })),
  "InvalidArgumentException", { message: "Invalid ExplicitHashKey. ExplicitHashKey must be in " +
    `the range: [0, 2^128-1]. Specified value was ${1n << 128n}` });
  await expectAwsError(send(new SplitShardCommand({ StreamName: S.errs, ShardToSplit: SHARD,
    NewStartingHashKey: "0" })), "InvalidArgumentException");
  await expectAwsError(send(new ListShardsCommand({})), "InvalidArgumentException",
    { message: "Either NextToken or StreamName should be provided." });
  // The JS SDK does not validate constraints client-side: the broker does.
  await expectAwsError(send(new CreateStreamCommand({ StreamName: "bad name!", ShardCount: 0 })),
    "ValidationException", { message: "2 validation errors detected: Value '0' at 'shardCount' " +
      "failed to satisfy constraint: Member must have value greater than or equal to 1; Value " +
      "'bad name!' at 'streamName' failed to satisfy constraint: Member must satisfy regular " +
      "expression pattern: [a-zA-Z0-9_.-]+" });
  const tooMany = Array.from({ length: 501 }, (_, i) => ({ PartitionKey: `k${i}`,
    Data: new Uint8Array([1]) }));
  const e = await expectAwsError(send(new PutRecordsCommand({ StreamName: S.errs,
    Records: tooMany })),
    "ValidationException");
  assert.ok(e.message.startsWith("1 validation error detected: Value '["), e.message.slice(0, 100));
  assert.ok(e.message.endsWith("]' at 'records' failed to satisfy constraint: Member must have " +
    "length less than or equal to 500"), e.message.slice(-200));
  await expectAwsError(send(new PutRecordCommand({ StreamName: S.errs, PartitionKey: "k",
    Data: new Uint8Array(1024 * 1024 + 1) })), "ValidationException", {
    message: "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 " +
      "cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less than " +
      "or equal to 1048576" });
  await expectAwsError(send(new GetRecordsCommand({ ShardIterator: "x", Limit: 0 })),
    "ValidationException", { message: "1 validation error detected: Value '0' at 'limit' failed " +
      "to satisfy constraint: Member must have value greater than or equal to 1" });
  await expectAwsError(send(new CreateStreamCommand({ StreamName: S.errs, ShardCount: 1 })),
    "ResourceInUseException");
  // Nothing was written by the failed calls.
  assert.deepEqual((await readShard(kinesis, S.errs, SHARD)).records, []);
});

tap.test("200 concurrent PutRecord calls on one client (default config)", 60_000, async () => {
  await createActive(S.conc, 4);
  const before = observer.count;
  const N = 200;
  const results = await Promise.all(Array.from({ length: N }, (_, i) =>
    send(new PutRecordCommand({ StreamName: S.conc, PartitionKey: `p${i}`,
      Data: new TextEncoder().encode(`c${i}`) }))));
  assert.equal(new Set(results.map((r) => `${r.ShardId}/${r.SequenceNumber}`)).size, N);
  // Kinesis's default config opens one HTTP/2 session per call
  // (disableConcurrentStreams): 200 sessions at once, each HTTP/2.
  observer.assertAllHttp2(before, PROTOCOL, 1);
  console.log(`#   default client: ${observer.count - before} HTTP/2 session(s) for ${N} calls`);
  const got = Object.values(await allRecords(S.conc)).flat().map((r) => text(r.Data)).sort();
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => `c${i}`).sort());
});

tap.test("200 concurrent PutRecord calls multiplexed on one HTTP/2 session", 60_000, async () => {
  await createActive(S.mux, 2);
  // The default handler still; only its option to share one session.
  const shared = new KinesisClient({ endpoint: ENDPOINT, region: REGION, credentials,
    requestHandler: { disableConcurrentStreams: false } });
  await shared.send(new ListStreamsCommand({})); // opens the session
  const before = observer.count;
  const N = 200;
  const results = await Promise.all(Array.from({ length: N }, (_, i) =>
    shared.send(new PutRecordCommand({ StreamName: S.mux, PartitionKey: `p${i % 7}`,
      Data: new TextEncoder().encode(`m${i}`) }))));
  assert.equal(results.length, N);
  const opened = observer.count - before;
  assert.ok(opened <= 1, `${N} calls opened ${opened} more sessions, want them on the first one`);
  shared.destroy();
  const got = Object.values(await allRecords(S.mux)).flat().map((r) => text(r.Data)).sort();
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => `m${i}`).sort());
});

tap.test("large GetRecords response (several MiB)", 90_000, async () => {
  await createActive(S.big, 1);
  const SHARD = "shardId-000000000000";
  const payloads = Array.from({ length: 6 }, () => crypto.randomBytes(1024 * 1024 - 1));
  for (const p of payloads) {
    await send(new PutRecordCommand({ StreamName: S.big, PartitionKey: "k", Data: p }));
  }
  const it = (await send(new GetShardIteratorCommand({ StreamName: S.big, ShardId: SHARD,
    ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
  const first = await send(new GetRecordsCommand({ ShardIterator: it }));
  const firstBytes = first.Records.reduce((n, r) => n + r.Data.length, 0);
  assert.ok(firstBytes >= 3 * 1024 * 1024, `first GetRecords carried only ${firstBytes} bytes`);
  const { records } = await readShard(kinesis, S.big, SHARD);
  assert.equal(records.length, payloads.length);
  records.forEach((r, i) => assert.ok(bytesEqual(r.Data, payloads[i]), `record ${i} differs`));
});

tap.test("SubscribeToShard: records pushed over the event stream", 60_000, async () => {
  await createActive(S.sub, 1);
  const SHARD = "shardId-000000000000";
  const streamArn = (await send(new DescribeStreamSummaryCommand({ StreamName: S.sub })))
    .StreamDescriptionSummary.StreamARN;
  const { ConsumerARN } = (await send(new RegisterStreamConsumerCommand({
    StreamARN: streamArn, ConsumerName: "js" }))).Consumer;
  const before = observer.count;
  const abort = new AbortController();
  const response = await send(new SubscribeToShardCommand({ ConsumerARN, ShardId: SHARD,
    StartingPosition: { Type: "LATEST" } }), { abortSignal: abort.signal });
  // Another call within 5 s of a successful one: AWS's ResourceInUseException.
  await expectAwsError(send(new SubscribeToShardCommand({ ConsumerARN, ShardId: SHARD,
    StartingPosition: { Type: "LATEST" } })), "ResourceInUseException");
  // Written after the subscription began: only a push delivers them.
  const payloads = ["push-0", "push-1", "push-2"];
  const puts = (async () => {
    for (const p of payloads) {
      await send(new PutRecordCommand({ StreamName: S.sub, PartitionKey: "k",
        Data: new TextEncoder().encode(p) }));
    }
  })();
  const got = [];
  let events = 0;
  let lastSeq;
  try {
    for await (const ev of response.EventStream) {
      assert.ok(ev.SubscribeToShardEvent, `unexpected event ${JSON.stringify(ev)}`);
      const e = ev.SubscribeToShardEvent;
      events += 1;
      assert.equal(typeof e.ContinuationSequenceNumber, "string");
      assert.equal(typeof e.MillisBehindLatest, "number");
      for (const r of e.Records) {
        got.push(text(r.Data));
        assert.ok(r.ApproximateArrivalTimestamp instanceof Date);
        lastSeq = r.SequenceNumber;
      }
      if (got.length >= payloads.length) {
        assert.equal(e.ContinuationSequenceNumber, lastSeq);
        break;
      }
    }
  } finally {
    abort.abort();
  }
  await puts;
  assert.deepEqual(got, payloads);
  assert.ok(events >= 2, "an empty first event, then the records");
  observer.assertAllHttp2(before, PROTOCOL, 1);
  await send(new DeregisterStreamConsumerCommand({ ConsumerARN }));
});

await tap.run(args.only);
