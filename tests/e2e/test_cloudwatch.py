"""The CloudWatch API subset against a real tidelogd with SigV4 on:
GetMetricStatistics, GetMetricData and ListMetrics for AWS/Kinesis, driven by
boto3 in each protocol the CloudWatch model offers (smithy-rpc-v2-cbor, AWS
JSON 1.0, query: botocore picks one by its version, the others are forced
through a copy of the model naming only that protocol) and the AWS CLI
(CloudWatchTest, needs boto3), and by an independent CBOR peer: cbor2 bodies
signed by the standard library (CloudWatchCborPeerTest, needs cbor2; CMake
runs each class under a Python that has its module). The figures must equal
what the test put and read; errors must carry AWS's codes."""

import copy
import datetime
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import boto3
    import botocore.auth
    import botocore.awsrequest
    import botocore.config
    import botocore.credentials
    import botocore.session
    from botocore.exceptions import ClientError
except ImportError:  # CloudWatchCborPeerTest runs under a Python with cbor2 only
    boto3 = None
try:
    import cbor2
except ImportError:
    cbor2 = None

from tidelogd_fixture import REGION, TidelogdTestCase, main, POLL_INTERVAL_S

TARGET_PREFIX = "GraniteServiceVersion20100801"
PUT_RECORDS = 40
WAIT_S = 30


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def signed_post(endpoint, path, headers, body, service, access, secret):
    """A SigV4-signed POST (header form) with the standard library only:
    (status, headers, body bytes)."""
    host = urllib.parse.urlsplit(endpoint).netloc
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    h = {k.lower(): v for k, v in headers.items()}
    h.update({"host": host, "x-amz-date": amz_date})
    names = sorted(h)
    canonical = "\n".join(["POST", path, "", "".join("%s:%s\n" % (n, h[n]) for n in names),
                           ";".join(names), hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (date, REGION, service)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, REGION, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                          % (access, scope, ";".join(names), signature))
    del h["host"]
    req = urllib.request.Request(endpoint + path, data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class CloudWatchTest(TidelogdTestCase):
    EXTRA_ARGS = ("--access-key-id", TidelogdTestCase.ACCESS_KEY,
                  "--secret-access-key", TidelogdTestCase.SECRET_KEY)
    STREAM = "cw-stream"

    @classmethod
    def setUpFixtures(cls):
        cls.models = tempfile.mkdtemp(prefix="tidelog-cw-models-")
        cls.create_stream_cls(cls.STREAM, 2)
        cls.kinesis.enable_enhanced_monitoring(StreamName=cls.STREAM,
                                               ShardLevelMetrics=["IncomingBytes"])
        cls.bytes_put = 0
        entries = []
        for i in range(PUT_RECORDS - 1):
            key, data = "key-%d" % i, b"x" * (10 + i)
            entries.append({"PartitionKey": key, "Data": data})
            cls.bytes_put += len(key) + len(data)
        r = cls.kinesis.put_records(StreamName=cls.STREAM, Records=entries)
        assert r["FailedRecordCount"] == 0, r
        cls.kinesis.put_record(StreamName=cls.STREAM, PartitionKey="last", Data=b"12345")
        cls.bytes_put += len("last") + 5
        cls.read = 0
        for shard in cls.kinesis.list_shards(StreamName=cls.STREAM)["Shards"]:
            it = cls.kinesis.get_shard_iterator(StreamName=cls.STREAM, ShardId=shard["ShardId"],
                                                ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            cls.read += len(cls.kinesis.get_records(ShardIterator=it)["Records"])
        assert cls.read == PUT_RECORDS, cls.read

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(getattr(cls, "models", ""), ignore_errors=True)

    @classmethod
    def create_stream_cls(cls, name, shards):
        cls.kinesis.create_stream(StreamName=name, ShardCount=shards)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = cls.kinesis.describe_stream_summary(StreamName=name)[
                "StreamDescriptionSummary"]["StreamStatus"]
            if status == "ACTIVE":
                return
            time.sleep(POLL_INTERVAL_S)
        raise AssertionError("stream %s never became ACTIVE" % name)

    # ---- clients --------------------------------------------------------

    def cloudwatch(self, protocol=None, secret=None, access_key=None):
        """A boto3 CloudWatch client; `protocol` forces one of the model's."""
        session = botocore.session.get_session()
        if protocol is not None:
            path = os.path.join(self.models, protocol)
            model_dir = os.path.join(path, "cloudwatch", "2010-08-01")
            if not os.path.isdir(model_dir):
                model = copy.deepcopy(session.get_component("data_loader").load_service_model(
                    "cloudwatch", "service-2"))
                meta = model["metadata"]
                meta["protocol"] = protocol
                meta["protocols"] = [protocol]
                meta.setdefault("targetPrefix", TARGET_PREFIX)
                meta.setdefault("jsonVersion", "1.0")
                os.makedirs(model_dir)
                with open(os.path.join(model_dir, "service-2.json"), "w") as f:
                    json.dump(model, f)
            session = botocore.session.get_session()
            session.set_config_variable("data_path", path)
        return boto3.Session(botocore_session=session).client(
            "cloudwatch", endpoint_url=self.server.endpoint, region_name=REGION,
            aws_access_key_id=access_key or self.ACCESS_KEY,
            aws_secret_access_key=secret or self.SECRET_KEY,
            config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}))

    def protocols(self):
        """(label, client) for botocore's default and every protocol it supports."""
        from botocore import model as botocore_model
        supported = getattr(botocore_model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS",
                            ("json", "query"))
        clients = [("default", self.cloudwatch())]
        for p in ("smithy-rpc-v2-cbor", "json", "query"):
            if p in supported:
                clients.append((p, self.cloudwatch(protocol=p)))
        return clients

    # ---- helpers --------------------------------------------------------

    def statistics(self, client, metric, stat="Sum", shard=None, **kwargs):
        dims = [{"Name": "StreamName", "Value": self.STREAM}]
        if shard:
            dims.append({"Name": "ShardId", "Value": shard})
        now = utcnow()
        return client.get_metric_statistics(
            Namespace="AWS/Kinesis", MetricName=metric, Dimensions=dims,
            StartTime=now - datetime.timedelta(minutes=10),
            EndTime=now + datetime.timedelta(minutes=2), Period=60, Statistics=[stat], **kwargs)

    def total(self, client, metric, stat="Sum", shard=None):
        return sum(p[stat] for p in self.statistics(client, metric, stat, shard)["Datapoints"])

    def wait_total(self, client, metric, expected, shard=None):
        """The sampler runs every second: poll until the figure arrives."""
        deadline = time.monotonic() + WAIT_S
        got = None
        while time.monotonic() < deadline:
            got = self.total(client, metric, shard=shard)
            if got == expected:
                return
            time.sleep(POLL_INTERVAL_S * 10)
        self.fail("%s Sum stayed %r, expected %r" % (metric, got, expected))

    # ---- tests ----------------------------------------------------------

    def test_get_metric_statistics_in_every_protocol(self):
        for label, client in self.protocols():
            with self.subTest(protocol=label):
                self.wait_total(client, "IncomingRecords", PUT_RECORDS)
                self.wait_total(client, "IncomingBytes", self.bytes_put)
                self.wait_total(client, "GetRecords.Records", PUT_RECORDS)
                self.assertEqual(self.total(client, "PutRecord.Success"), 1)
                self.assertEqual(self.total(client, "PutRecords.Success"), 1)
                self.assertEqual(self.total(client, "PutRecords.SuccessfulRecords"),
                                 PUT_RECORDS - 1)
                points = self.statistics(client, "IncomingBytes", "Maximum")["Datapoints"]
                self.assertTrue(points)
                self.assertEqual(points[0]["Unit"], "Bytes")
                self.assertIsInstance(points[0]["Timestamp"], datetime.datetime)
                # A metric that had no data, and another namespace: no datapoints.
                self.assertEqual(self.total(client, "WriteProvisionedThroughputExceeded"), 0)
                self.assertEqual(client.get_metric_statistics(
                    Namespace="AWS/EC2", MetricName="CPUUtilization", StartTime=utcnow() -
                    datetime.timedelta(minutes=5), EndTime=utcnow(), Period=60,
                    Statistics=["Average"])["Datapoints"], [])

    def test_shard_level_only_for_enhanced_metrics(self):
        client = self.cloudwatch()
        shards = [s["ShardId"] for s in self.kinesis.list_shards(StreamName=self.STREAM)["Shards"]]
        deadline = time.monotonic() + WAIT_S
        per_shard = []
        while time.monotonic() < deadline:
            per_shard = [self.total(client, "IncomingBytes", shard=s) for s in shards]
            if sum(per_shard) == self.bytes_put:
                break
            time.sleep(POLL_INTERVAL_S * 10)
        self.assertEqual(sum(per_shard), self.bytes_put, per_shard)
        self.assertTrue(all(b > 0 for b in per_shard), per_shard)  # keys spread over both
        self.assertEqual(self.total(client, "IncomingRecords", shard=shards[0]), 0)
        metrics = client.list_metrics(Namespace="AWS/Kinesis",
                                      Dimensions=[{"Name": "ShardId"}])["Metrics"]
        self.assertEqual({m["MetricName"] for m in metrics}, {"IncomingBytes"})
        self.assertEqual({d["Value"] for m in metrics for d in m["Dimensions"]
                          if d["Name"] == "ShardId"}, set(shards))

    def test_get_metric_data_and_list_metrics(self):
        for label, client in self.protocols():
            with self.subTest(protocol=label):
                self.wait_total(client, "IncomingRecords", PUT_RECORDS)
                now = utcnow()
                stat = {"Metric": {"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords",
                                   "Dimensions": [{"Name": "StreamName", "Value": self.STREAM}]},
                        "Period": 60, "Stat": "Sum"}
                r = client.get_metric_data(
                    MetricDataQueries=[{"Id": "records", "MetricStat": stat},
                                       {"Id": "hidden", "MetricStat": stat, "ReturnData": False}],
                    StartTime=now - datetime.timedelta(minutes=10),
                    EndTime=now + datetime.timedelta(minutes=2))
                self.assertEqual([x["Id"] for x in r["MetricDataResults"]], ["records"])
                result = r["MetricDataResults"][0]
                self.assertEqual(result["Label"], "IncomingRecords")
                self.assertEqual(result["StatusCode"], "Complete")
                self.assertEqual(sum(result["Values"]), PUT_RECORDS)
                self.assertEqual(result["Timestamps"], sorted(result["Timestamps"], reverse=True))
                names = {m["MetricName"] for m in client.list_metrics(
                    Namespace="AWS/Kinesis",
                    Dimensions=[{"Name": "StreamName", "Value": self.STREAM}])["Metrics"]}
                self.assertTrue({"IncomingBytes", "IncomingRecords", "GetRecords.Success",
                                 "PutRecords.Latency"} <= names, names)
                self.assertEqual(client.list_metrics(Namespace="AWS/EC2")["Metrics"], [])

    def test_errors_carry_aws_codes(self):
        for label, client in self.protocols():
            with self.subTest(protocol=label):
                now = utcnow()
                base = {"Namespace": "AWS/Kinesis", "MetricName": "IncomingBytes",
                        "Dimensions": [{"Name": "StreamName", "Value": self.STREAM}]}
                with self.assertRaises(ClientError) as cm:
                    client.get_metric_statistics(StartTime=now, EndTime=now -
                                                 datetime.timedelta(minutes=1), Period=60,
                                                 Statistics=["Sum"], **base)
                err = cm.exception.response["Error"]
                self.assertEqual(err["Code"], "InvalidParameterValue")
                self.assertEqual(err["Message"],
                                 "The parameter StartTime must be less than the parameter EndTime.")
                self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
                with self.assertRaises(client.exceptions.InvalidParameterCombinationException) as cm:
                    client.get_metric_statistics(StartTime=now - datetime.timedelta(days=2),
                                                 EndTime=now, Period=60, Statistics=["Sum"],
                                                 **base)
                self.assertIn("which exceeds the limit of 1440",
                              cm.exception.response["Error"]["Message"])
                with self.assertRaises(ClientError) as cm:
                    client.get_metric_data(MetricDataQueries=[{"Id": "m", "MetricStat": {
                        "Metric": base, "Period": 60, "Stat": "Sum"}}],
                        StartTime=now - datetime.timedelta(minutes=5), EndTime=now,
                        NextToken="not-a-token")
                self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidNextToken")

    def test_signatures_are_checked_for_monitoring(self):
        for label, client in (("default", self.cloudwatch(secret="wrong")),
                              ("query", self.cloudwatch(protocol="query", secret="wrong"))):
            with self.subTest(protocol=label):
                with self.assertRaises(ClientError) as cm:
                    client.list_metrics(Namespace="AWS/Kinesis")
                self.assertEqual(cm.exception.response["Error"]["Code"], "SignatureDoesNotMatch")
                self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        with self.assertRaises(ClientError) as cm:
            self.cloudwatch(access_key="AKIDNOBODY").list_metrics()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidClientTokenId")
        # A Kinesis-scoped signature is not a CloudWatch one.
        request = botocore.awsrequest.AWSRequest(
            method="POST", url=self.server.endpoint + "/",
            data="Action=ListMetrics&Version=2010-08-01",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(self.ACCESS_KEY, self.SECRET_KEY),
                                "kinesis", REGION).add_auth(request)
        prepared = request.prepare()
        req = urllib.request.Request(prepared.url, data=prepared.body.encode(),
                                     headers=dict(prepared.headers), method="POST")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=30)
        body = cm.exception.read().decode()
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)
        self.assertIn("Credential should be scoped to correct service: 'monitoring'.", body)

    def test_aws_cli(self):
        aws = shutil.which("aws")
        if aws is None:
            self.skipTest("the AWS CLI is not installed")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.ACCESS_KEY,
                   AWS_SECRET_ACCESS_KEY=self.SECRET_KEY, AWS_DEFAULT_REGION=REGION,
                   AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
        self.wait_total(self.cloudwatch(), "IncomingRecords", PUT_RECORDS)
        now = utcnow()
        out = subprocess.run(
            [aws, "--endpoint-url", self.server.endpoint, "--output", "json", "cloudwatch",
             "get-metric-statistics", "--namespace", "AWS/Kinesis", "--metric-name",
             "IncomingRecords", "--dimensions", "Name=StreamName,Value=" + self.STREAM,
             "--start-time", (now - datetime.timedelta(minutes=10)).isoformat(),
             "--end-time", (now + datetime.timedelta(minutes=2)).isoformat(),
             "--period", "60", "--statistics", "Sum"],
            env=env, capture_output=True, text=True, timeout=120, check=False)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(sum(p["Sum"] for p in json.loads(out.stdout)["Datapoints"]), PUT_RECORDS)


class CloudWatchCborPeerTest(TidelogdTestCase):
    """An independent rpc-v2-cbor peer: cbor2 bodies, SigV4 by the standard
    library (CMake runs this class under a Python that has cbor2)."""
    EXTRA_ARGS = CloudWatchTest.EXTRA_ARGS
    STREAM = "cw-cbor"
    RECORDS = 7

    def kinesis_call(self, op, params):
        status, _, body = signed_post(
            self.server.endpoint, "/",
            {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202." + op},
            json.dumps(params).encode(), "kinesis", self.ACCESS_KEY, self.SECRET_KEY)
        self.assertEqual(status, 200, body)
        return json.loads(body) if body else {}

    def cbor_call(self, operation, params, secret=None):
        status, headers, body = signed_post(
            self.server.endpoint,
            "/service/%s/operation/%s" % (TARGET_PREFIX, operation),
            {"Content-Type": "application/cbor", "Accept": "application/cbor",
             "smithy-protocol": "rpc-v2-cbor"},
            cbor2.dumps(params), "monitoring", self.ACCESS_KEY, secret or self.SECRET_KEY)
        return status, headers, cbor2.loads(body)

    def test_cbor_peer(self):
        self.kinesis_call("CreateStream", {"StreamName": self.STREAM, "ShardCount": 1})
        deadline = time.monotonic() + 60
        while self.kinesis_call("DescribeStreamSummary", {"StreamName": self.STREAM})[
                "StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(POLL_INTERVAL_S)
        for i in range(self.RECORDS):
            self.kinesis_call("PutRecord", {"StreamName": self.STREAM, "PartitionKey": str(i),
                                            "Data": "eHl6"})
        query = {"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords",
                 "Dimensions": [{"Name": "StreamName", "Value": self.STREAM}],
                 "Period": 60, "Statistics": ["Sum", "SampleCount"]}
        deadline = time.monotonic() + WAIT_S
        while True:
            now = time.time()
            query["StartTime"] = cbor2.CBORTag(1, now - 600)
            query["EndTime"] = cbor2.CBORTag(1, int(now) + 120)
            status, headers, body = self.cbor_call("GetMetricStatistics", query)
            self.assertEqual(status, 200, body)
            if sum(p["Sum"] for p in body["Datapoints"]) == self.RECORDS:
                break
            self.assertLess(time.monotonic(), deadline, body)
            time.sleep(POLL_INTERVAL_S * 10)
        self.assertEqual(headers.get("smithy-protocol"), "rpc-v2-cbor")
        self.assertEqual(headers.get("Content-Type"), "application/cbor")
        self.assertEqual(sum(p["SampleCount"] for p in body["Datapoints"]), self.RECORDS)
        stamp = body["Datapoints"][0]["Timestamp"]
        # cbor2 decodes tag 1 itself: epoch seconds, on a minute boundary.
        self.assertIsInstance(stamp, datetime.datetime)
        self.assertEqual((stamp.second, stamp.microsecond), (0, 0))
        self.assertLess(abs(stamp.timestamp() - time.time()), 600)

        status, headers, body = self.cbor_call("GetMetricStatistics", dict(
            query, StartTime=cbor2.CBORTag(1, now), EndTime=cbor2.CBORTag(1, now - 60)))
        self.assertEqual(status, 400)
        self.assertEqual(body, {"__type": "com.amazonaws.cloudwatch#InvalidParameterValueException",
                                "message": "The parameter StartTime must be less than the "
                                           "parameter EndTime."})
        self.assertEqual(headers.get("x-amzn-query-error"), "InvalidParameterValue;Sender")
        status, _, body = self.cbor_call("ListMetrics", {"Namespace": "AWS/Kinesis"})
        self.assertEqual(status, 200)
        self.assertIn("IncomingBytes", {m["MetricName"] for m in body["Metrics"]})
        status, _, body = self.cbor_call("ListMetrics", {}, secret="wrong")
        self.assertEqual(status, 403)
        self.assertEqual(body["__type"], "SignatureDoesNotMatch")


if __name__ == "__main__":
    main()
