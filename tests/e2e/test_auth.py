"""SigV4 authentication (tidelogd --access-key-id AKID --secret-access-key
SECRET, plus a session credential from --credentials-file): a correctly
signed call works, a wrong secret gets InvalidSignatureException, an unknown
key UnrecognizedClientException, an unsigned request
MissingAuthenticationTokenException, a signature scoped to another region or
service InvalidSignatureException, and a session key only works with its own
X-Amz-Security-Token."""

import os
import shutil
import tempfile

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials

from tidelogd_fixture import REGION, TidelogdTestCase, main

SESSION_TOKEN = "FQoGZXIvYXdzEJr//session+token="


class AuthTest(TidelogdTestCase):
    ACCESS_KEY = "AKID"
    SECRET_KEY = "SECRET"

    @classmethod
    def setUpClass(cls):
        cls.credentials_dir = tempfile.mkdtemp(prefix="tidelog-e2e-creds-")
        path = os.path.join(cls.credentials_dir, "credentials")
        with open(path, "w") as f:
            f.write("# a session credential\nASIATEMP:temp-secret:%s\n" % SESSION_TOKEN)
        cls.EXTRA_ARGS = ("--access-key-id", "AKID", "--secret-access-key", "SECRET",
                          "--credentials-file", path)
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.credentials_dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.credentials_dir, ignore_errors=True)

    def boto(self, region=REGION, **credentials):
        session = boto3.session.Session(region_name=region, **credentials)
        return session.client(
            "kinesis", endpoint_url=self.server.endpoint,
            config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}))

    def test_signed_call_works(self):
        self.kinesis.create_stream(StreamName="authed", ShardCount=1)
        self.wait_active("authed")
        r = self.kinesis.put_record(StreamName="authed", PartitionKey="k", Data=b"signed")
        it = self.kinesis.get_shard_iterator(StreamName="authed", ShardId=r["ShardId"],
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.assertEqual(self.kinesis.get_records(ShardIterator=it)["Records"][0]["Data"],
                         b"signed")
        self.assertIn("authed", self.kinesis.list_streams()["StreamNames"])

    def test_wrong_secret(self):
        bad = self.client(access_key="AKID", secret_key="not-the-secret")
        self.assertAwsError("InvalidSignatureException", bad.list_streams)

    def test_unknown_key(self):
        bad = self.client(access_key="NOSUCHKEY", secret_key="SECRET")
        self.assertAwsError("UnrecognizedClientException", bad.list_streams)

    def test_unsigned_request(self):
        status, hdrs, body = self.raw("ListStreams", {})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["__type"], "MissingAuthenticationTokenException")
        self.assertEqual(body["message"], "Missing Authentication Token")
        self.assertEqual(hdrs.get("x-amzn-ErrorType"), "MissingAuthenticationTokenException")

    def test_checks_before_authentication(self):
        # AWS's order: an unknown operation, then a small body that does not
        # parse, are reported before the missing signature.
        status, _, body = self.raw("NoSuchOperation", {})
        self.assertEqual((status, body["__type"]), (400, "UnknownOperationException"))
        status, _, body = self.raw("ListStreams", b"{not json")
        self.assertEqual((status, body["__type"]), (400, "SerializationException"))
        status, _, body = self.raw("ListStreams", b"")
        self.assertEqual((status, body["__type"]), (400, "SerializationException"))
        # A body that parses, or a large one (never buffered unauthenticated),
        # gets the authentication error.
        status, _, body = self.raw("ListStreams", b"{}")
        self.assertEqual(body["__type"], "MissingAuthenticationTokenException")
        status, _, body = self.raw("ListStreams", b"{" + b" " * (70 << 10))
        self.assertEqual(body["__type"], "MissingAuthenticationTokenException")

    def test_signature_for_another_region(self):
        other = self.boto(region="eu-west-1", aws_access_key_id="AKID",
                          aws_secret_access_key="SECRET")
        self.assertAwsError("InvalidSignatureException", other.list_streams,
                            message="Credential should be scoped to a valid region, not "
                                    "'eu-west-1'. ")

    def test_signature_for_another_service(self):
        # Signed by botocore for "firehose", as a misconfigured client would.
        request = botocore.awsrequest.AWSRequest(
            method="POST", url=self.server.endpoint + "/", data=b"{}",
            headers={"Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": "Kinesis_20131202.ListStreams"})
        botocore.auth.SigV4Auth(botocore.credentials.Credentials("AKID", "SECRET"), "firehose",
                                REGION).add_auth(request)
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("content-type", "x-amz-target")}
        status, _, body = self.raw("ListStreams", b"{}", headers=headers)
        self.assertEqual(status, 400, body)
        self.assertEqual(body["__type"], "InvalidSignatureException")
        self.assertEqual(body["message"], "Credential should be scoped to correct service: "
                                          "'kinesis'. ")

    def test_session_credentials(self):
        token = SESSION_TOKEN
        good = self.boto(aws_access_key_id="ASIATEMP", aws_secret_access_key="temp-secret",
                         aws_session_token=token)
        self.assertIn("StreamNames", good.list_streams())
        invalid = "The security token included in the request is invalid."
        for bad in (self.boto(aws_access_key_id="ASIATEMP", aws_secret_access_key="temp-secret",
                              aws_session_token=token + "x"),
                    self.boto(aws_access_key_id="ASIATEMP", aws_secret_access_key="temp-secret"),
                    self.boto(aws_access_key_id="AKID", aws_secret_access_key="SECRET",
                              aws_session_token=token)):
            self.assertAwsError("UnrecognizedClientException", bad.list_streams, message=invalid)


if __name__ == "__main__":
    main()
