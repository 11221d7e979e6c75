// SigV4 through the AWS SDK for JavaScript v3 over HTTP/2, against a tidelogd
// started with --access-key-id AKID --secret-access-key SECRET and a
// --credentials-file holding the session credential ASIATEMP:temp-secret:TOKEN
// (test_js_sdk.py writes it). As test_auth.py expects over HTTP/1.1: a
// correctly signed client works end to end, a wrong secret gets
// InvalidSignatureException, an unknown key UnrecognizedClientException, a
// session key works only with its own token, and an unsigned HTTP/2 request
// MissingAuthenticationTokenException. Clients set only endpoint, region and
// static credentials (default NodeHttp2Handler).
//
//   node auth.mjs --endpoint URL --access-key-id AKID --secret-access-key SECRET \
//     --session-key ASIATEMP --session-secret temp-secret --session-token TOKEN

import {
  CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient,
  ListStreamsCommand, PutRecordCommand,
} from "@aws-sdk/client-kinesis";
import {
  REGION, Tap, assert, bytesEqual, directHttp2Call, expectAwsError, expectedProtocol,
  Http2Observer, parseArgs, waitActive,
} from "./lib.mjs";

const args = parseArgs();
const ENDPOINT = args.endpoint;
const PROTOCOL = expectedProtocol(ENDPOINT);
const observer = new Http2Observer();
const tap = new Tap(Number(args["total-timeout-ms"] ?? 120_000));

const client = (credentials) =>
  new KinesisClient({ endpoint: ENDPOINT, region: REGION, credentials });
const good = client({ accessKeyId: args["access-key-id"],
  secretAccessKey: args["secret-access-key"] });
const stream = `${args.prefix ?? ""}authed`;
const TOKEN_INVALID = "The security token included in the request is invalid.";

tap.test("correctly signed calls work end to end", 60_000, async () => {
  const before = observer.count;
  await good.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
  await waitActive(good, stream);
  const payload = new TextEncoder().encode("signed over HTTP/2");
  const put = await good.send(new PutRecordCommand({ StreamName: stream, PartitionKey: "k",
    Data: payload }));
  const it = (await good.send(new GetShardIteratorCommand({ StreamName: stream,
    ShardId: put.ShardId, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
  const r = await good.send(new GetRecordsCommand({ ShardIterator: it }));
  assert.equal(r.Records.length, 1);
  assert.ok(bytesEqual(r.Records[0].Data, payload));
  assert.ok((await good.send(new ListStreamsCommand({}))).StreamNames.includes(stream));
  observer.assertAllHttp2(before, PROTOCOL, 5);
});

tap.test("wrong secret: InvalidSignatureException", 30_000, async () => {
  const bad = client({ accessKeyId: args["access-key-id"], secretAccessKey: "not-the-secret" });
  const e = await expectAwsError(bad.send(new ListStreamsCommand({})), "InvalidSignatureException");
  assert.ok(e.message.length > 0);
});

tap.test("unknown key: UnrecognizedClientException", 30_000, async () => {
  const bad = client({ accessKeyId: "NOSUCHKEY", secretAccessKey: args["secret-access-key"] });
  await expectAwsError(bad.send(new ListStreamsCommand({})), "UnrecognizedClientException");
});

tap.test("session credential works only with its own token", 30_000, async () => {
  const key = args["session-key"];
  const secret = args["session-secret"];
  const token = args["session-token"];
  const ok = client({ accessKeyId: key, secretAccessKey: secret, sessionToken: token });
  assert.ok(Array.isArray((await ok.send(new ListStreamsCommand({}))).StreamNames));
  for (const creds of [
    { accessKeyId: key, secretAccessKey: secret, sessionToken: `${token}x` },
    { accessKeyId: key, secretAccessKey: secret },
    { accessKeyId: args["access-key-id"], secretAccessKey: args["secret-access-key"],
      sessionToken: token },
  ]) {
    await expectAwsError(client(creds).send(new ListStreamsCommand({})),
      "UnrecognizedClientException", { message: TOKEN_INVALID });
  }
});

tap.test("unsigned HTTP/2 request: MissingAuthenticationTokenException", 30_000, async () => {
  const r = await directHttp2Call(ENDPOINT, "ListStreams", {});
  assert.equal(r.alpn, PROTOCOL);
  assert.equal(r.status, 400);
  assert.equal(r.body.__type, "MissingAuthenticationTokenException");
  assert.equal(r.body.message, "Missing Authentication Token");
  assert.equal(r.headers["x-amzn-errortype"], "MissingAuthenticationTokenException");
});

await tap.run(args.only);
