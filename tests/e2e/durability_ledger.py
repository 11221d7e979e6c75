# The ledger of every record a durability test put into one stream, and the checker that reads the stream back against it.
"""Used by test_crash_loop.py and tests/soak/run_soak.py.

A Ledger remembers, per record (keyed by its unique Data), what the client
knows: in flight, acknowledged (shard and sequence number), failed, or
unknown (its call died with the broker). Readers (SubscribeToShard chains,
GetRecords tails) log what they saw as Sessions. check_stream() reads every
shard from TRIM_HORIZON and returns a CheckResult whose `errors` name every
violation: missing, extra, duplicated, misplaced or reordered records,
reused sequence numbers, lineage and session faults."""

import threading

from durability_reads import list_all_shards, read_shard_records, topological_order

PENDING, ACKED, FAILED, UNKNOWN, LOST, ABSENT = (
    "pending", "acked", "failed", "unknown", "lost", "absent")
MAX_SHOWN = 15  # violations printed per kind


def short(data):
    """A payload's id (tag|writer|n|), without its random tail."""
    parts = data.split(b"|", 3)
    return b"|".join(parts[:3]).decode(errors="replace") if len(parts) == 4 else repr(data[:40])


class Entry:
    """One record the test tried to put."""
    __slots__ = ("data", "key", "state", "shard", "seq", "ack_index", "seen", "cycle")

    def __init__(self, data, key, cycle):
        self.data, self.key, self.cycle = data, key, cycle
        self.state, self.shard, self.seq, self.ack_index, self.seen = PENDING, None, None, -1, False

    def describe(self):
        return "key=%s shard=%s seq=%s state=%s cycle=%s data=%s" % (
            self.key, self.shard, self.seq, self.state, self.cycle, short(self.data))


class Session:
    """What one reader saw of one shard, in arrival order: [(seq, data)]."""
    __slots__ = ("kind", "name", "shard", "records", "closed", "cycle")

    def __init__(self, kind, name, shard, cycle):
        self.kind, self.name, self.shard, self.cycle = kind, name, shard, cycle
        self.records, self.closed = [], False

    def describe(self):
        return "%s %s on %s (cycle %s, %d records)" % (self.kind, self.name, self.shard,
                                                        self.cycle, len(self.records))


class Ledger:
    """Everything put into one stream. Thread-safe; writers own their keys, so
    per key the acknowledgement order is the order of the calls."""

    def __init__(self, stream):
        self.stream = stream
        self.lock = threading.Lock()
        self.entries = {}        # data -> Entry
        self.acked = []          # Entries in acknowledgement order (append-only)
        self.by_key = {}         # key -> [Entry] in acknowledgement order
        self.chain_tips = {}     # key -> last acknowledged SequenceNumber (str)
        self.seq_owner = {}      # seq -> data, for every number acknowledged or read
        self.sessions = []
        self.problems = []       # violations seen while running (acks, orderings, errors)
        self.consumer_arns = {}  # consumer name -> ARN, for the subscribers
        self.cycle = 0
        self.counts = {"put_records_calls": 0, "put_record_calls": 0, "ordered_puts": 0,
                       "failed": 0, "unknown": 0, "lost": 0, "session_records": 0,
                       "sessions_checked": 0, "session_records_checked": 0}

    def begin(self, pairs):
        """[(key, data)] about to be sent: their Entries, in flight."""
        with self.lock:
            out = []
            for key, data in pairs:
                assert data not in self.entries, "payloads must be unique"
                e = Entry(data, key, self.cycle)
                self.entries[data] = e
                out.append(e)
            return out

    def ack(self, entry, shard, seq_text, ordered_after=None):
        seq = int(seq_text)
        with self.lock:
            if entry.state != PENDING:
                self.problems.append("acknowledged twice: %s" % entry.describe())
                return
            entry.state, entry.shard, entry.seq = ACKED, shard, seq
            entry.ack_index = len(self.acked)
            self.acked.append(entry)
            self.by_key.setdefault(entry.key, []).append(entry)
            self.chain_tips[entry.key] = seq_text
            owner = self.seq_owner.get(seq)
            if owner is not None and owner != entry.data:
                self.problems.append("sequence number %d reused: acknowledged for %s, earlier %s"
                                     % (seq, entry.describe(), short(owner)))
            self.seq_owner[seq] = entry.data
            if ordered_after is not None and seq <= int(ordered_after):
                self.problems.append("SequenceNumberForOrdering %s not respected: %s"
                                     % (ordered_after, entry.describe()))

    def fail(self, entry, code):
        with self.lock:
            entry.state = FAILED
            self.counts["failed"] += 1
            self.problems.append("PutRecords entry failed with %s: %s" % (code, entry.describe()))

    def unknown(self, entries):
        with self.lock:
            for e in entries:
                if e.state == PENDING:
                    e.state = UNKNOWN
                    self.counts["unknown"] += 1

    def settle(self):
        """After a kill: whatever is still in flight is unknown."""
        with self.lock:
            pending = [e for e in self.entries.values() if e.state == PENDING]
        self.unknown(pending)

    def chain_tip(self, key):
        with self.lock:
            return self.chain_tips.get(key)

    def count(self, name, n=1):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def new_session(self, kind, name, shard):
        with self.lock:
            s = Session(kind, name, shard, self.cycle)
            self.sessions.append(s)
            return s

    def saw(self, session, records):
        """Records a reader received, as boto3 returns them."""
        got = [(int(r["SequenceNumber"]), r["Data"]) for r in records]
        with self.lock:
            session.records.extend(got)
            self.counts["session_records"] += len(got)
            kind = session.kind + "_records"
            self.counts[kind] = self.counts.get(kind, 0) + len(got)


class CheckResult:
    def __init__(self, label):
        self.label = label
        self.errors = []
        self.kinds = {}
        self.shards = self.stored = self.acked_checked = self.lost = 0
        self.unknown_stored = self.unknown_absent = self.session_records = 0

    def error(self, kind, text):
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if self.kinds[kind] <= MAX_SHOWN:
            self.errors.append("%s: %s" % (kind, text))

    def report(self):
        """The violations, grouped, for an assertion message."""
        lines = ["%s: %d violation(s): %s" % (self.label, sum(self.kinds.values()), ", ".join(
            "%s x%d" % kv for kv in sorted(self.kinds.items())))]
        lines += ["  " + e for e in self.errors]
        return "\n".join(lines)

    def __bool__(self):
        return not self.kinds


def check_stream(client, ledger, durability="sync", quiesced=True, label="check",
                 deadline_s=300):
    """Reads every shard of ledger.stream from TRIM_HORIZON and checks it against
    the ledger. quiesced: no load runs (after a restart); otherwise only
    records acknowledged before the read began are required. In async
    durability, acknowledged records may be lost as a tail of their shard."""
    res = CheckResult(label)
    with ledger.lock:
        n_acked = len(ledger.acked)
        acked = ledger.acked[:n_acked]
        sessions = [(s, len(s.records)) for s in ledger.sessions]
        seen_before = [e for e in ledger.entries.values() if e.seen]
    targets = {}
    for e in acked:
        if e.state == ACKED:
            targets[e.shard] = max(targets.get(e.shard, 0), e.seq)
    shards = list_all_shards(client, ledger.stream)
    res.shards = len(shards)
    by_id = {s["ShardId"]: s for s in shards}
    stored = {sid: read_shard_records(client, ledger.stream, sid, None if quiesced else
                                      targets.get(sid, 0), deadline_s) for sid in by_id}

    # Per shard and stream-wide: order, uniqueness, known payloads.
    by_data, by_seq = {}, {}
    for sid, recs in stored.items():
        rng = by_id[sid]["SequenceNumberRange"]
        lo, hi = int(rng["StartingSequenceNumber"]), rng.get("EndingSequenceNumber")
        prev = None
        for seq, key, data in recs:
            res.stored += 1
            if prev is not None and seq <= prev:
                res.error("ORDER", "%s: seq %d after %d" % (sid, seq, prev))
            prev = seq
            if seq < lo or (hi is not None and seq > int(hi)):
                res.error("RANGE", "%s: seq %d outside its SequenceNumberRange %s" % (
                    sid, seq, rng))
            if data in by_data:
                res.error("DUPLICATE", "%s stored twice: %s/%d and %s/%d" % (
                    short(data), by_data[data][0], by_data[data][1], sid, seq))
                continue
            if seq in by_seq:
                res.error("SEQ-SHARED", "seq %d held by %s and %s" % (seq, by_seq[seq], sid))
            by_seq[seq] = sid
            by_data[data] = (sid, seq, key)
    with ledger.lock:
        for data, (sid, seq, key) in by_data.items():
            owner = ledger.seq_owner.get(seq)
            if owner is not None and owner != data:
                res.error("SEQ-REUSED", "seq %d in %s now holds %s, earlier %s" % (
                    seq, sid, short(data), short(owner)))
            ledger.seq_owner[seq] = data
            e = ledger.entries.get(data)
            if e is None:
                res.error("EXTRA", "%s/%d key=%s %s was never put" % (sid, seq, key, short(data)))
                continue
            if e.key != key:
                res.error("KEY", "%s/%d has key %s, put with %s" % (sid, seq, key, e.key))
            if e.state == ACKED and (e.shard != sid or e.seq != seq):
                res.error("MISPLACED", "stored at %s/%d, acknowledged %s" % (
                    sid, seq, e.describe()))
            elif e.state in (LOST, ABSENT):
                res.error("RESURRECTED", "%s/%d reappeared: %s" % (sid, seq, e.describe()))
            elif e.state == FAILED:
                res.error("FAILED-STORED", "%s/%d: %s" % (sid, seq, e.describe()))
            elif e.state in (PENDING, UNKNOWN) and quiesced and not e.seen:
                res.unknown_stored += 1
            e.seen = True

    # Acknowledged records: all there (sync), or only a tail of a shard lost (async).
    missing_by_shard = {}
    for e in acked:
        if e.state != ACKED:
            continue
        if e.data in by_data:
            res.acked_checked += 1
        else:
            missing_by_shard.setdefault(e.shard, []).append(e)
    for sid, missing in sorted(missing_by_shard.items()):
        if durability == "sync":
            for e in missing:
                res.error("MISSING", "acknowledged record not stored: " + e.describe())
            res.lost += len(missing)
            continue
        first_missing = min(e.seq for e in missing)
        later = [e for e in acked if e.state == ACKED and e.shard == sid and
                 e.seq > first_missing and e.data in by_data]
        for e in later:
            res.error("GAP", "%s: lost seq %d but kept later %s" % (sid, first_missing,
                                                                    e.describe()))
        with ledger.lock:
            for e in missing:
                e.state = LOST
            ledger.counts["lost"] += len(missing)
        res.lost += len(missing)
    if durability == "sync":
        for e in seen_before:
            if e.data not in by_data and e.state != ACKED:  # acked ones are MISSING above
                res.error("DISAPPEARED", "read in an earlier check, gone now: " + e.describe())
    if quiesced:
        with ledger.lock:
            for e in ledger.entries.values():
                if e.state in (PENDING, UNKNOWN) and e.data not in by_data:
                    e.state = ABSENT
                    res.unknown_absent += 1

    _check_lineage(res, shards, stored)
    _check_key_order(res, ledger, shards, stored, n_acked)
    _check_sessions(res, ledger, sessions, by_data, stored, durability, quiesced)
    return res


def _check_lineage(res, shards, stored):
    """A child's numbers are above its parents' (numbers grow along the lineage)."""
    for s in shards:
        recs = stored[s["ShardId"]]
        if not recs:
            continue
        for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")):
            if p and stored.get(p):
                if recs[0][0] <= stored[p][-1][0]:
                    res.error("LINEAGE", "%s starts at %d, not above its parent %s's last %d" % (
                        s["ShardId"], recs[0][0], p, stored[p][-1][0]))


def _check_key_order(res, ledger, shards, stored, n_acked):
    """Per key, reading parents before children gives the acknowledgement order."""
    read_order = {}
    for sid in topological_order(shards):
        for _, key, data in stored[sid]:
            read_order.setdefault(key, []).append(data)
    with ledger.lock:
        keys = {k: [e for e in v if e.state == ACKED and e.ack_index < n_acked]
                for k, v in ledger.by_key.items()}
    for key, expected in keys.items():
        want = [e.data for e in expected]
        wanted = set(want)
        got = [d for d in read_order.get(key, []) if d in wanted]
        if got == want:
            continue
        i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        res.error("KEY-ORDER", "key %s: read order departs from acknowledgement order at #%d: "
                  "read %s, acknowledged %s" % (
                      key, i, ledger.entries[got[i]].describe() if i < len(got) else "nothing",
                      expected[i].describe() if i < len(want) else "nothing"))


def _check_sessions(res, ledger, sessions, by_data, stored, durability, quiesced):
    """Readers saw only stored records, in order per shard, none twice."""
    coverage = {sid: (recs[-1][0] if recs else 0) for sid, recs in stored.items()}
    done = []
    for session, n in sessions:
        recs = session.records[:n]
        seen, prev = set(), None
        for seq, data in recs:
            if data in seen:
                res.error("SESSION-DUPLICATE", "%s: %s twice" % (session.describe(), short(data)))
            seen.add(data)
            if prev is not None and seq <= prev:
                res.error("SESSION-ORDER", "%s: seq %d after %d" % (session.describe(), seq, prev))
            prev = seq
            st = by_data.get(data)
            if st is None:
                if not quiesced and seq > coverage.get(session.shard, 0):
                    continue  # written after this shard was read
                e = ledger.entries.get(data)
                if durability == "async" and e is not None and e.state == LOST:
                    continue
                res.error("SESSION-EXTRA", "%s: seq %d %s is not stored (%s)" % (
                    session.describe(), seq, short(data), e.describe() if e else "never put"))
            elif st[0] != session.shard or st[1] != seq:
                res.error("SESSION-MISMATCH", "%s: got %s as %s/%d, stored as %s/%d" % (
                    session.describe(), short(data), session.shard, seq, st[0], st[1]))
            res.session_records += 1
        if quiesced and session.closed:
            done.append(session)
    with ledger.lock:
        ledger.counts["sessions_checked"] += len(done)
        ledger.counts["session_records_checked"] += res.session_records
        if done:
            gone = set(map(id, done))
            ledger.sessions = [s for s in ledger.sessions if id(s) not in gone]
