"""The rest of the current Kinesis API model through boto3: resource policies
(streams and consumers) and account settings, and that they survive a restart
of tidelogd on the same data directory."""

import json
import os
import shutil
import tempfile

from tidelogd_fixture import TidelogdTestCase, Tidelogd, main, wait_active

POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                   "Action": "kinesis:PutRecord", "Resource": "*"}],
})


class ApiRestTest(TidelogdTestCase):

    def test_resource_policy_crud(self):
        k = self.kinesis
        self.create_stream("pol", 1)
        arn = k.describe_stream_summary(StreamName="pol")["StreamDescriptionSummary"]["StreamARN"]
        self.assertEqual(k.get_resource_policy(ResourceARN=arn)["Policy"], "{}")
        k.put_resource_policy(ResourceARN=arn, Policy=POLICY)
        self.assertEqual(json.loads(k.get_resource_policy(ResourceARN=arn)["Policy"]),
                         json.loads(POLICY))
        consumer = k.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]
        carn = consumer["ConsumerARN"]
        self.assertEqual(k.get_resource_policy(ResourceARN=carn)["Policy"], "{}")
        k.put_resource_policy(ResourceARN=carn, Policy=POLICY)
        self.assertEqual(k.get_resource_policy(ResourceARN=carn)["Policy"], POLICY)
        k.delete_resource_policy(ResourceARN=arn)
        self.assertEqual(k.get_resource_policy(ResourceARN=arn)["Policy"], "{}")
        self.assertEqual(k.get_resource_policy(ResourceARN=carn)["Policy"], POLICY)

    def test_resource_policy_errors(self):
        k = self.kinesis
        self.create_stream("polerr", 1)
        arn = k.describe_stream_summary(
            StreamName="polerr")["StreamDescriptionSummary"]["StreamARN"]
        self.assertAwsError("InvalidArgumentException", k.put_resource_policy,
                            ResourceARN=arn, Policy="not json",
                            message="Policy is not a valid JSON document.")
        missing = arn[:arn.rindex("/") + 1] + "missing"
        self.assertAwsError("ResourceNotFoundException", k.get_resource_policy,
                            ResourceARN=missing,
                            message="Stream missing under account %s not found." % self.account())

    def test_deleted_stream_drops_its_policy(self):
        k = self.kinesis
        self.create_stream("poldel", 1)
        arn = k.describe_stream_summary(
            StreamName="poldel")["StreamDescriptionSummary"]["StreamARN"]
        k.put_resource_policy(ResourceARN=arn, Policy=POLICY)
        k.delete_stream(StreamName="poldel")
        self.assertAwsError("ResourceNotFoundException", k.get_resource_policy, ResourceARN=arn)
        self.create_stream("poldel", 1)
        self.assertEqual(k.get_resource_policy(ResourceARN=arn)["Policy"], "{}")


class ApiRestRestartTest(TidelogdTestCase):
    """Runs its own tidelogd twice on one data directory."""

    def test_policies_and_account_settings_survive_restart(self):
        tmp = tempfile.mkdtemp(prefix="tidelog-e2e-api-")
        data = os.path.join(tmp, "data")
        try:
            server = Tidelogd(data).start()
            try:
                k = self.client(server=server)
                self.assertEqual(k.describe_account_settings()["MinimumThroughputBillingCommitment"]
                                 ["Status"], "DISABLED")
                k.create_stream(StreamName="keep", ShardCount=1)
                wait_active(k, "keep")
                arn = k.describe_stream_summary(
                    StreamName="keep")["StreamDescriptionSummary"]["StreamARN"]
                k.put_resource_policy(ResourceARN=arn, Policy=POLICY)
                carn = k.register_stream_consumer(StreamARN=arn,
                                                  ConsumerName="c")["Consumer"]["ConsumerARN"]
                k.put_resource_policy(ResourceARN=carn, Policy=POLICY)
                enabled = k.update_account_settings(
                    MinimumThroughputBillingCommitment={"Status": "ENABLED"}
                )["MinimumThroughputBillingCommitment"]
                self.assertEqual(enabled["Status"], "ENABLED")
                self.assertIn("StartedAt", enabled)
                self.assertIn("EarliestAllowedEndAt", enabled)
                pending = k.update_account_settings(
                    MinimumThroughputBillingCommitment={"Status": "DISABLED"}
                )["MinimumThroughputBillingCommitment"]
                self.assertEqual(pending["Status"], "ENABLED_UNTIL_EARLIEST_ALLOWED_END")
            finally:
                self.assertEqual(server.stop(), 0)
            server = Tidelogd(data).start()
            try:
                k = self.client(server=server)
                self.assertEqual(k.get_resource_policy(ResourceARN=arn)["Policy"], POLICY)
                self.assertEqual(k.get_resource_policy(ResourceARN=carn)["Policy"], POLICY)
                after = k.describe_account_settings()["MinimumThroughputBillingCommitment"]
                self.assertEqual(after, pending)
            finally:
                self.assertEqual(server.stop(), 0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
