// SubscribeToShard in the engine: wakeup on durable appends, order without
// gaps or repeats across events, resubscriptions, a split and a merge, the
// lifetime (injected clock and real timer), AWS's takeover rules, ends on
// deregistration, stream deletion and shutdown, quotas, 100 subscribers, and
// a subscriber that never reads.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

using std::chrono::milliseconds;

constexpr auto kWaitTimeout = std::chrono::seconds(10);

// One subscription and what its wake callback saw.
struct Subscriber {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int wakes = 0;
  };
  std::shared_ptr<State> state = std::make_shared<State>();
  std::shared_ptr<ShardSubscription> sub;

  std::function<void()> WakeFn() const {
    return [s = state] {
      std::lock_guard<std::mutex> lock(s->mu);
      ++s->wakes;
      s->cv.notify_all();
    };
  }
  int wakes() const {
    std::lock_guard<std::mutex> lock(state->mu);
    return state->wakes;
  }
  // Waits (bounded) until more than `seen` wakes were counted.
  bool WaitWakes(int seen) const {
    std::unique_lock<std::mutex> lock(state->mu);
    return state->cv.wait_for(lock, kWaitTimeout, [&] { return state->wakes > seen; });
  }
};

// Everything one ReadEvent produced.
struct Event {
  SubscriptionEvent ev;
  std::vector<std::string> data;
  std::vector<SequenceNumber> seqs;
};

Event Read(Subscriber& s, int32_t max_records = 10000, size_t max_bytes = 1 << 20) {
  Event e;
  Status st = s.sub->ReadEvent(
      max_records, max_bytes,
      [&](const RecordView& r) {
        e.data.emplace_back(r.data);
        e.seqs.push_back(r.sequence_number);
      },
      &e.ev);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return e;
}

class SubscriptionTest : public EngineTest {
 protected:
  void SetUpStream(const std::string& name, int32_t shards, EngineOptions o) {
    Open(o);
    CreateStream(name, shards);
    arn_ = Register(name, "c1");
  }
  void SetUpStream(const std::string& name, int32_t shards) {
    SetUpStream(name, shards, DefaultOptions());
  }

  std::string Register(const std::string& stream, const std::string& consumer) {
    ConsumerInfo info;
    EXPECT_OK(engine_->RegisterStreamConsumer(stream, consumer, &info));
    return info.consumer_arn;
  }

  Status Subscribe(Subscriber* s, const std::string& shard, ShardIteratorType type,
                   std::optional<SequenceNumber> seq = std::nullopt,
                   std::optional<int64_t> ts = std::nullopt, std::string arn = "") {
    SubscribeToShardRequest r;
    r.consumer_arn = arn.empty() ? arn_ : arn;
    r.shard_id = shard;
    r.starting_position = type;
    r.sequence_number = seq;
    r.timestamp_millis = ts;
    return engine_->SubscribeToShard(r, s->WakeFn(), &s->sub);
  }

  // Puts records "prefix0".."prefix<n-1>" in batches of 500 on one key.
  void PutMany(const std::string& stream, const std::string& prefix, int n,
               std::string_view key = "k") {
    for (int start = 0; start < n; start += 500) {
      std::vector<std::string> data;
      for (int i = start; i < std::min(n, start + 500); ++i)
        data.push_back(prefix + std::to_string(i));
      std::vector<PutRecordEntry> entries;
      for (const auto& d : data) entries.push_back({key, d, std::nullopt});
      std::vector<PutRecordResult> results;
      ASSERT_OK(engine_->PutRecords(stream, entries, &results));
      for (const auto& r : results) ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    }
  }

  // Reads events until one has nothing new or the subscription ends.
  std::vector<Event> Drain(Subscriber& s, int32_t max_records = 10000) {
    std::vector<Event> events;
    for (int i = 0; i < 100000; ++i) {
      Event e = Read(s, max_records);
      const bool stop = !e.ev.has_event || e.ev.end != SubscriptionEnd::kNone;
      if (e.ev.has_event || e.ev.end != SubscriptionEnd::kNone) events.push_back(std::move(e));
      if (stop) break;
    }
    return events;
  }

  static std::vector<std::string> Data(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.insert(out.end(), e.data.begin(), e.data.end());
    return out;
  }

  std::string arn_;
};

const std::string kS0 = "shardId-000000000000";

TEST_F(SubscriptionTest, DurableAppendWakesTheSubscriberOnce) {
  SetUpStream("s", 1);
  Subscriber s;
  ASSERT_OK(Subscribe(&s, kS0, ShardIteratorType::kLatest));
  // The first event comes at once, empty, with a continuation number.
  Event first = Read(s);
  ASSERT_TRUE(first.ev.has_event);
  EXPECT_EQ(first.ev.record_count, 0);
  ASSERT_TRUE(first.ev.continuation_sequence_number.has_value());
  EXPECT_FALSE(Read(s).ev.has_event);  // caught up
  EXPECT_EQ(s.wakes(), 0);

  Put("s", "k", "a");
  // The wake ran in the group commit's completion, before the put returned.
  EXPECT_EQ(s.wakes(), 1);
  Put("s", "k", "b");
  EXPECT_EQ(s.wakes(), 1) << "coalesced until a ReadEvent consumes the wake";
  Event e = Read(s);
  ASSERT_TRUE(e.ev.has_event);
  EXPECT_EQ(e.data, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*e.ev.continuation_sequence_number, e.seqs.back());
  EXPECT_EQ(e.ev.millis_behind_latest, 0);
  Put("s", "k", "c");
  EXPECT_EQ(s.wakes(), 2);
  EXPECT_EQ(Read(s).data, std::vector<std::string>{"c"});
}

TEST_F(SubscriptionTest, EmptyShardFromTrimHorizonSendsOneEmptyEvent) {
  SetUpStream("s", 1);
  Subscriber s;
  ASSERT_OK(Subscribe(&s, kS0, ShardIteratorType::kTrimHorizon));
  Event first = Read(s);
  EXPECT_TRUE(first.ev.has_event);
  EXPECT_EQ(first.ev.record_count, 0);
  EXPECT_FALSE(Read(s).ev.has_event);
  Put("s", "k", "a");
  EXPECT_EQ(Read(s).data, std::vector<std::string>{"a"});
  EXPECT_FALSE(Read(s).ev.has_event);
}

TEST_F(SubscriptionTest, WakesFromAnotherThreadsAppend) {
  SetUpStream("s", 1);
  Subscriber s;
  ASSERT_OK(Subscribe(&s, kS0, ShardIteratorType::kLatest));
  Read(s);
  std::thread writer([&] { Put("s", "k", "x"); });
  ASSERT_TRUE(s.WaitWakes(0));
  writer.join();
  EXPECT_EQ(Read(s).data, std::vector<std::string>{"x"});
}

TEST_F(SubscriptionTest, EveryStartingPosition) {
  SetUpStream("s", 1);
  PutRecordResult a = Put("s", "k", "a");
  clock_->AdvanceMillis(10);
  const int64_t t = clock_->NowMillis();
  PutRecordResult b = Put("s", "k", "b");
  Put("s", "k", "c");
  struct Case {
    ShardIteratorType type;
    std::optional<SequenceNumber> seq;
    std::optional<int64_t> ts;
    std::vector<std::string> want;
  };
  std::vector<Case> cases = {
      {ShardIteratorType::kTrimHorizon, std::nullopt, std::nullopt, {"a", "b", "c"}},
      {ShardIteratorType::kLatest, std::nullopt, std::nullopt, {}},
      {ShardIteratorType::kAtSequenceNumber, b.sequence_number, std::nullopt, {"b", "c"}},
      {ShardIteratorType::kAfterSequenceNumber, a.sequence_number, std::nullopt, {"b", "c"}},
      {ShardIteratorType::kAtTimestamp, std::nullopt, t, {"b", "c"}},
  };
  for (const Case& c : cases) {
    // Another consumer each time: one consumer may not resubscribe within 5 s.
    Subscriber s;
    const std::string arn = Register("s", "pos" + std::string(ToString(c.type)));
    ASSERT_OK(Subscribe(&s, kS0, c.type, c.seq, c.ts, arn)) << ToString(c.type);
    EXPECT_EQ(Data(Drain(s)), c.want) << ToString(c.type);
  }
}

TEST_F(SubscriptionTest, ErrorsBeforeTheStream) {
  SetUpStream("s", 1);
  Subscriber s;
  const std::string stream_arn = engine_->StreamArn("s");
  EXPECT_TRUE(StatusIs(
      Subscribe(&s, kS0, ShardIteratorType::kLatest, std::nullopt, std::nullopt,
                stream_arn + "/consumer/nobody:1"),
      ErrorCode::kResourceNotFound,
      "Consumer nobody under stream s under account " + std::string(kAccount) + " not found."));
  EXPECT_TRUE(StatusIs(Subscribe(&s, "shardId-000000000009", ShardIteratorType::kLatest),
                       ErrorCode::kResourceNotFound,
                       "Shard shardId-000000000009 in stream s under account " +
                           std::string(kAccount) + " does not exist"));
  EXPECT_EQ(Subscribe(&s, kS0, ShardIteratorType::kAtSequenceNumber).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      Subscribe(&s, kS0, ShardIteratorType::kAtTimestamp, std::nullopt, clock_->NowMillis() + 60000)
          .code(),
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.sub, nullptr);
}

TEST_F(SubscriptionTest, NoGapOrRepeatAcrossEventsAndResubscriptions) {
  SetUpStream("s", 1);
  PutMany("s", "r", 5000);
  Subscriber s1;
  ASSERT_OK(Subscribe(&s1, kS0, ShardIteratorType::kTrimHorizon));
  std::vector<std::string> got;
  std::optional<SequenceNumber> continuation;
  for (int i = 0; i < 3; ++i) {  // three events of 700, then the client leaves
    Event e = Read(s1, 700);
    ASSERT_EQ(e.ev.record_count, 700);
    EXPECT_GT(e.ev.millis_behind_latest, -1);
    got.insert(got.end(), e.data.begin(), e.data.end());
    continuation = e.ev.continuation_sequence_number;
  }
  s1.sub->Close();
  EXPECT_EQ(Read(s1).ev.end, SubscriptionEnd::kClosed);
  // Resubscribing right after a close is allowed (the old one is not active).
  Subscriber s2;
  ASSERT_OK(Subscribe(&s2, kS0, ShardIteratorType::kAfterSequenceNumber, continuation));
  PutMany("s", "late", 10);
  for (const auto& d : Data(Drain(s2, 999))) got.push_back(d);
  ASSERT_EQ(got.size(), 5010u);
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(got[i], "r" + std::to_string(i));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(got[5000 + i], "late" + std::to_string(i));
}

TEST_F(SubscriptionTest, FollowsASplitAndAMergeThroughChildShards) {
  SetUpStream("s", 1);
  // Keys spread over the whole hash space; numbered per key to check order.
  auto put_round = [&](int round) {
    for (int k = 0; k < 20; ++k) {
      Put("s", "key" + std::to_string(k), std::to_string(k) + ":" + std::to_string(round));
    }
  };
  Subscriber parent;
  ASSERT_OK(Subscribe(&parent, kS0, ShardIteratorType::kTrimHorizon));
  std::map<std::string, std::vector<int>> by_key;  // key -> rounds in delivery order
  auto collect = [&](const std::vector<Event>& events) {
    for (const auto& e : events) {
      for (const auto& d : e.data) {
        by_key[d.substr(0, d.find(':'))].push_back(std::stoi(d.substr(d.find(':') + 1)));
      }
    }
  };
  put_round(0);
  collect(Drain(parent));  // caught up, the wake consumed
  const int before_split = parent.wakes();
  ASSERT_OK(engine_->SplitShard("s", kS0, Pow2(127)));
  EXPECT_EQ(parent.wakes(), before_split + 1) << "the close alone wakes its subscribers";
  put_round(1);
  put_round(2);
  std::vector<Event> events = Drain(parent);
  ASSERT_FALSE(events.empty());
  const SubscriptionEvent& last = events.back().ev;
  EXPECT_EQ(last.end, SubscriptionEnd::kShardEnd);
  EXPECT_FALSE(last.continuation_sequence_number.has_value());
  ASSERT_EQ(last.child_shards.size(), 2u);
  EXPECT_EQ(last.child_shards[0].shard_id, "shardId-000000000001");
  EXPECT_EQ(last.child_shards[0].parent_shards, std::vector<std::string>{kS0});
  EXPECT_EQ(last.child_shards[0].hash_key_range.ending_hash_key, Pow2(127) - 1);
  EXPECT_EQ(last.child_shards[1].hash_key_range.starting_hash_key, Pow2(127));
  collect(events);
  EXPECT_EQ(Read(parent).ev.end, SubscriptionEnd::kShardEnd);

  // The children, from their start; then merged into shard 3.
  Subscriber c1, c2;
  ASSERT_OK(Subscribe(&c1, "shardId-000000000001", ShardIteratorType::kTrimHorizon));
  ASSERT_OK(Subscribe(&c2, "shardId-000000000002", ShardIteratorType::kTrimHorizon));
  collect(Drain(c1));
  collect(Drain(c2));
  put_round(3);
  ASSERT_OK(engine_->MergeShards("s", "shardId-000000000001", "shardId-000000000002"));
  put_round(4);
  for (Subscriber* c : {&c1, &c2}) {
    std::vector<Event> ce = Drain(*c);
    ASSERT_FALSE(ce.empty());
    EXPECT_EQ(ce.back().ev.end, SubscriptionEnd::kShardEnd);
    ASSERT_EQ(ce.back().ev.child_shards.size(), 1u);
    EXPECT_EQ(ce.back().ev.child_shards[0].shard_id, "shardId-000000000003");
    EXPECT_EQ(ce.back().ev.child_shards[0].parent_shards,
              (std::vector<std::string>{"shardId-000000000001", "shardId-000000000002"}));
    collect(ce);
  }
  Subscriber merged;
  ASSERT_OK(Subscribe(&merged, "shardId-000000000003", ShardIteratorType::kTrimHorizon));
  collect(Drain(merged));
  ASSERT_EQ(by_key.size(), 20u);
  for (const auto& [key, rounds] : by_key) {
    EXPECT_EQ(rounds, (std::vector<int>{0, 1, 2, 3, 4})) << key;
  }
}

TEST_F(SubscriptionTest, LifetimeEndsByTheInjectedClock) {
  EngineOptions o = DefaultOptions();
  o.subscription_lifetime_ms = 300000;
  SetUpStream("s", 1, o);
  Subscriber s;
  ASSERT_OK(Subscribe(&s, kS0, ShardIteratorType::kLatest));
  Read(s);
  clock_->AdvanceMillis(299999);
  Put("s", "k", "a");
  Event e = Read(s);
  ASSERT_EQ(e.data, std::vector<std::string>{"a"});
  EXPECT_EQ(e.ev.end, SubscriptionEnd::kNone);
  const SequenceNumber continuation = *e.ev.continuation_sequence_number;
  clock_->AdvanceMillis(1);
  Put("s", "k", "b");
  e = Read(s);
  EXPECT_FALSE(e.ev.has_event);
  EXPECT_EQ(e.ev.end, SubscriptionEnd::kLifetime);
  EXPECT_TRUE(e.ev.end_status.ok());
  // A clean end, and over: resubscribing at once from the continuation
  // loses nothing.
  Subscriber again;
  ASSERT_OK(Subscribe(&again, kS0, ShardIteratorType::kAfterSequenceNumber, continuation));
  EXPECT_EQ(Data(Drain(again)), std::vector<std::string>{"b"});
}

TEST_F(SubscriptionTest, LifetimeEndsByTimerWithoutAppends) {
  EngineOptions o = DefaultOptions();
  o.subscription_lifetime_ms = 50;  // real time: the registry's timer thread
  SetUpStream("s", 1, o);
  Subscriber s;
  ASSERT_OK(Subscribe(&s, kS0, ShardIteratorType::kLatest));
  Read(s);
  ASSERT_TRUE(s.WaitWakes(0)) << "the lifetime timer wakes the subscriber";
  Event e = Read(s);
  EXPECT_EQ(e.ev.end, SubscriptionEnd::kLifetime);
  Put("s", "k", "a");
  EXPECT_EQ(s.wakes(), 1) << "an ended subscription is never woken again";
}

TEST_F(SubscriptionTest, SecondSubscriptionWithinFiveSecondsIsRefusedThenTakesOver) {
  SetUpStream("s", 2);
  Subscriber a, b, c, other_shard, other_consumer;
  ASSERT_OK(Subscribe(&a, kS0, ShardIteratorType::kLatest));
  clock_->AdvanceMillis(4999);
  const std::string in_use =
      "Another active subscription exists for this consumer: " + std::string(kAccount) +
      ":s:" + kS0 + ":c1";
  EXPECT_TRUE(
      StatusIs(Subscribe(&b, kS0, ShardIteratorType::kLatest), ErrorCode::kResourceInUse, in_use));
  // Other shards and other consumers are independent.
  ASSERT_OK(Subscribe(&other_shard, "shardId-000000000001", ShardIteratorType::kLatest));
  ASSERT_OK(Subscribe(&other_consumer, kS0, ShardIteratorType::kLatest, std::nullopt, std::nullopt,
                      Register("s", "c2")));
  clock_->AdvanceMillis(1);
  ASSERT_OK(Subscribe(&c, kS0, ShardIteratorType::kLatest));
  ASSERT_EQ(a.wakes(), 1) << "the old subscription is told";
  Event e = Read(a);
  EXPECT_EQ(e.ev.end, SubscriptionEnd::kTakenOver);
  EXPECT_TRUE(StatusIs(e.ev.end_status, ErrorCode::kResourceInUse, in_use));
  PutMany("s", "x", 50);  // 50 on one key: on one of the two shards
  EXPECT_EQ(a.wakes(), 1) << "an ended subscription is never woken again";
}

TEST_F(SubscriptionTest, DeregisteringTheConsumerOrDeletingTheStreamEndsSubscriptions) {
  SetUpStream("s", 1);
  const std::string arn2 = Register("s", "c2");
  Subscriber a, b;
  ASSERT_OK(Subscribe(&a, kS0, ShardIteratorType::kLatest));
  ASSERT_OK(Subscribe(&b, kS0, ShardIteratorType::kLatest, std::nullopt, std::nullopt, arn2));
  Read(a);
  Read(b);
  ASSERT_OK(engine_->DeregisterStreamConsumer("", "", arn_));
  ASSERT_EQ(a.wakes(), 1);
  Event e = Read(a);
  EXPECT_EQ(e.ev.end, SubscriptionEnd::kConsumerDeleted);
  EXPECT_TRUE(StatusIs(
      e.ev.end_status, ErrorCode::kResourceNotFound,
      "Consumer c1 under stream s under account " + std::string(kAccount) + " not found."));
  EXPECT_EQ(b.wakes(), 0) << "the other consumer goes on";
  ASSERT_OK(engine_->DeleteStream("s", /*enforce_consumer_deletion=*/true));
  ASSERT_EQ(b.wakes(), 1);
  e = Read(b);
  EXPECT_EQ(e.ev.end, SubscriptionEnd::kStreamDeleted);
  EXPECT_TRUE(StatusIs(e.ev.end_status, ErrorCode::kResourceNotFound, NotFoundMessage("s")));
}

TEST_F(SubscriptionTest, EndSubscriptionsAndEngineCloseAreClean) {
  SetUpStream("s", 1);
  Subscriber a, b;
  ASSERT_OK(Subscribe(&a, kS0, ShardIteratorType::kLatest));
  engine_->EndSubscriptions();
  EXPECT_EQ(a.wakes(), 1);
  EXPECT_EQ(Read(a).ev.end, SubscriptionEnd::kClosed);
  EXPECT_TRUE(
      StatusIs(Subscribe(&b, kS0, ShardIteratorType::kLatest), ErrorCode::kInternalFailure));
  // A subscription outliving its engine: never woken, reads end cleanly.
  Reopen();
  Subscriber c;
  ASSERT_OK(Subscribe(&c, kS0, ShardIteratorType::kLatest));
  engine_.reset();
  EXPECT_EQ(c.wakes(), 0);
  EXPECT_EQ(Read(c).ev.end, SubscriptionEnd::kClosed);
  c.sub->Close();
}

TEST_F(SubscriptionTest, ResumesAfterARestartFromTheContinuation) {
  SetUpStream("s", 1);
  PutMany("s", "r", 100);
  Subscriber a;
  ASSERT_OK(Subscribe(&a, kS0, ShardIteratorType::kTrimHorizon));
  Event e = Read(a, 60);
  const SequenceNumber continuation = *e.ev.continuation_sequence_number;
  a.sub.reset();
  Reopen();
  Subscriber b;
  ASSERT_OK(Subscribe(&b, kS0, ShardIteratorType::kAfterSequenceNumber, continuation));
  std::vector<std::string> got = e.data;
  for (const auto& d : Data(Drain(b))) got.push_back(d);
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], "r" + std::to_string(i));
}

TEST_F(SubscriptionTest, HundredSubscribersOnOneShardEachGetEverything) {
  EngineOptions o = DefaultOptions();
  o.exclusive_subscriptions = false;  // 100 > the 20 consumers a stream may have
  SetUpStream("s", 1, o);
  std::vector<Subscriber> subs(100);
  for (auto& s : subs) ASSERT_OK(Subscribe(&s, kS0, ShardIteratorType::kLatest));
  for (auto& s : subs) Read(s);
  std::atomic<bool> stop{false};
  std::vector<std::vector<std::string>> got(subs.size());
  // Four readers share the 100, as a worker pool would.
  std::vector<std::thread> readers;
  for (size_t t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      while (!stop.load()) {
        bool any = false;
        for (size_t i = t; i < subs.size(); i += 4) {
          for (const auto& d : Data(Drain(subs[i]))) {
            got[i].push_back(d);
            any = true;
          }
        }
        if (!any) std::this_thread::yield();
      }
    });
  }
  PutMany("s", "r", 2000);
  stop.store(true);  // what the readers have not taken yet, this thread reads
  for (const auto& s : subs) EXPECT_GE(s.wakes(), 1);
  for (auto& r : readers) r.join();
  for (size_t i = 0; i < subs.size(); ++i) {
    for (const auto& d : Data(Drain(subs[i]))) got[i].push_back(d);
    ASSERT_EQ(got[i].size(), 2000u) << "subscriber " << i;
    for (int k = 0; k < 2000; ++k) ASSERT_EQ(got[i][k], "r" + std::to_string(k));
  }
}

TEST_F(SubscriptionTest, SubscriberThatNeverReadsHoldsNothingBack) {
  SetUpStream("s", 1);
  Subscriber slow, fast;
  ASSERT_OK(Subscribe(&slow, kS0, ShardIteratorType::kLatest));
  ASSERT_OK(Subscribe(&fast, kS0, ShardIteratorType::kLatest, std::nullopt, std::nullopt,
                      Register("s", "c2")));
  Read(slow);
  Read(fast);
  std::vector<std::string> got;
  for (int round = 0; round < 20; ++round) {
    PutMany("s", "r" + std::to_string(round) + "-", 500);
    for (const auto& d : Data(Drain(fast))) got.push_back(d);
  }
  EXPECT_EQ(got.size(), 10000u);
  // The slow one was woken once and nothing was queued for it: it reads
  // from storage when it is ready, bounded per event.
  EXPECT_EQ(slow.wakes(), 1);
  EXPECT_EQ(fast.wakes(), 20);
  Event e = Read(slow, 10000, 64 << 10);
  EXPECT_LE(e.ev.record_bytes, size_t{64} << 10);
  EXPECT_GT(e.ev.millis_behind_latest, -1);
  size_t total = e.data.size();
  total += Data(Drain(slow)).size();
  EXPECT_EQ(total, 10000u);
}

TEST_F(SubscriptionTest, QuotaThrottlesPerSubscriptionNotTheShard) {
  EngineOptions o = DefaultOptions();
  o.quotas_enabled = true;
  o.default_quota = ShardQuota::Unlimited();
  o.default_quota.read_calls_per_sec = 5;
  o.subscription_bytes_per_sec = 100000;
  SetUpStream("s", 1, o);
  Subscriber s;
  ASSERT_OK(Subscribe(&s, kS0, ShardIteratorType::kTrimHorizon));
  const std::string blob(10000, 'x');
  for (int i = 0; i < 30; ++i) Put("s", "k", blob);  // 300 KB: three seconds' worth
  Event e = Read(s);
  EXPECT_EQ(e.ev.record_count, 30) << "a full bucket admits one read, leaving it in debt";
  Put("s", "k", "more");
  const int wakes = s.wakes();
  e = Read(s);
  EXPECT_FALSE(e.ev.has_event) << "throttled";
  // The retry timer wakes it (real time), though no append came.
  ASSERT_TRUE(s.WaitWakes(wakes));
  EXPECT_FALSE(Read(s).ev.has_event) << "the engine clock has not moved";
  clock_->AdvanceMillis(3000);
  e = Read(s);
  EXPECT_EQ(e.data, std::vector<std::string>{"more"});
  // The shard's own GetRecords quota was not touched by the subscription.
  for (int i = 0; i < 5; ++i) {
    GetRecordsResult r;
    ASSERT_OK(engine_->GetRecords(Iterator("s", kS0, ShardIteratorType::kLatest), 1, &r));
  }
}

}  // namespace
}  // namespace tidelog::testing
