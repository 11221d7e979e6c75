"""SigV4 authentication (tidelogd --access-key-id AKID --secret-access-key
SECRET): a correctly signed call works, a wrong secret gets
InvalidSignatureException, an unknown key UnrecognizedClientException and an
unsigned request MissingAuthenticationTokenException."""

from tidelogd_fixture import TidelogdTestCase, main


class AuthTest(TidelogdTestCase):
    ACCESS_KEY = "AKID"
    SECRET_KEY = "SECRET"
    EXTRA_ARGS = ("--access-key-id", "AKID", "--secret-access-key", "SECRET")

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


if __name__ == "__main__":
    main()
