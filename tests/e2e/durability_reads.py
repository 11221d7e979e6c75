# Bounded whole-stream reads for the durability tests: every shard (paged ListShards), each shard from TRIM_HORIZON, lineage order.
"""list_all_shards(), read_shard_records() and topological_order(), used by
durability_ledger.check_stream() and the load's readers. Every loop has a
page cap and a deadline."""

import time

MAX_PAGES = 100000
PAGE_LIMIT = 10000


def list_all_shards(client, stream):
    """Every shard of `stream`, open and closed, across ListShards pages."""
    shards, token = [], None
    for _ in range(MAX_PAGES):
        r = client.list_shards(NextToken=token) if token else client.list_shards(StreamName=stream)
        shards.extend(r["Shards"])
        token = r.get("NextToken")
        if not token:
            return shards
    raise AssertionError("ListShards of %s never ended" % stream)


def list_all_streams(client):
    names, start = [], None
    for _ in range(MAX_PAGES):
        r = client.list_streams(**({"ExclusiveStartStreamName": start} if start else {}))
        names.extend(r["StreamNames"])
        if not r.get("HasMoreStreams") or not r["StreamNames"]:
            return names
        start = r["StreamNames"][-1]
    raise AssertionError("ListStreams never ended")


def read_shard_records(client, stream, shard_id, target_seq=None, deadline_s=300):
    """[(seq, key, data)] of a shard from TRIM_HORIZON: to the end of a closed
    shard, else until caught up (an empty page at MillisBehindLatest 0), or,
    with target_seq, once a record at or past target_seq was read (a live
    read under load need not reach the moving tip)."""
    deadline = time.monotonic() + deadline_s
    it = client.get_shard_iterator(StreamName=stream, ShardId=shard_id,
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out, empty = [], 0
    for _ in range(MAX_PAGES):
        r = client.get_records(ShardIterator=it, Limit=PAGE_LIMIT)
        for rec in r["Records"]:
            out.append((int(rec["SequenceNumber"]), rec["PartitionKey"], rec["Data"]))
        it = r.get("NextShardIterator")
        if it is None:
            return out
        if target_seq is not None and out and out[-1][0] >= target_seq:
            return out
        if r["Records"]:
            empty = 0
        else:
            empty += 1
            reached = target_seq is None or (out and out[-1][0] >= target_seq) or target_seq == 0
            if reached and (r.get("MillisBehindLatest") == 0 or empty >= 3):
                return out
            if empty >= 20:  # the target never showed up: the checker reports what is missing
                return out
        if time.monotonic() > deadline:
            raise AssertionError("reading %s/%s took over %ds (%d records, target %s)" % (
                stream, shard_id, deadline_s, len(out), target_seq))
    raise AssertionError("%s/%s: no end after %d pages" % (stream, shard_id, MAX_PAGES))


def topological_order(shards):
    """Shard ids, parents before children (ParentShardId, AdjacentParentShardId);
    parents no longer listed are ignored. Ties in ShardId order."""
    ids = {s["ShardId"] for s in shards}
    parents = {s["ShardId"]: [p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId"))
                              if p and p in ids] for s in shards}
    order, done = [], set()
    pending = sorted(ids)
    for _ in range(len(ids) + 1):
        if not pending:
            return order
        rest = []
        for sid in pending:
            if all(p in done for p in parents[sid]):
                order.append(sid)
                done.add(sid)
            else:
                rest.append(sid)
        if len(rest) == len(pending):
            raise AssertionError("shard lineage has a cycle: %s" % rest)
        pending = rest
    return order
