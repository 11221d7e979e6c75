// Crash test: a child process appends in sync mode and reports each acknowledged record through
// a pipe; the parent SIGKILLs it at random moments, reopens the directory and checks that every
// acknowledged record is present, in order, and that no sequence number is ever reused.
// Cycles: TIDELOG_CRASH_CYCLES (default 20). Seed: TIDELOG_CRASH_SEED (default random, printed).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine_test_util.h"

#ifndef TIDELOG_CRASH_CHILD
#error "TIDELOG_CRASH_CHILD must name the crash child executable"
#endif

extern char** environ;

namespace tidelog::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct Ack {
  uint32_t shard;
  SequenceNumber seq;
  std::string head;  // "<tag>-<n>"
  size_t size;
};

class CrashTest : public EngineTest {
 protected:
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (rfd_ >= 0) close(rfd_);
    EngineTest::TearDown();
  }

  EngineOptions CrashOptions() const {
    EngineOptions o = DefaultOptions();
    o.clock = SystemClock();  // the child uses real time too
    o.durability = Durability::kSync;
    return o;
  }

  // Starts the child with its stdout on a pipe we read.
  void Spawn(const std::string& tag, uint64_t seed) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    const std::string child = TIDELOG_CRASH_CHILD;
    const std::string data_dir = options_.data_dir;
    const std::string seed_s = std::to_string(seed);
    std::vector<char*> argv = {
        const_cast<char*>(child.c_str()),  const_cast<char*>(data_dir.c_str()),
        const_cast<char*>("crash"),        const_cast<char*>(tag.c_str()),
        const_cast<char*>(seed_s.c_str()), nullptr};
    const int rc = posix_spawn(&pid_, child.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    rfd_ = fds[0];
    ASSERT_EQ(rc, 0) << "posix_spawn " << child;
  }

  // Reads whatever is available until `deadline` (or EOF). Returns false on EOF.
  bool ReadUntil(Clock::time_point deadline, std::string* buf, bool stop_at_ready = false) {
    char chunk[65536];
    for (;;) {
      if (stop_at_ready && buf->find("R\n") != std::string::npos) return true;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return true;
      pollfd p{rfd_, POLLIN, 0};
      const int r = poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) continue;  // timeout: loop checks the deadline
      const ssize_t n = read(rfd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf->append(chunk, static_cast<size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int rfd_ = -1;
};

TEST_F(CrashTest, AcknowledgedRecordsSurviveSigkillAndSeqsAreNeverReused) {
  int cycles = 20;
  if (const char* env = std::getenv("TIDELOG_CRASH_CYCLES")) cycles = std::max(1, std::atoi(env));
  uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("TIDELOG_CRASH_SEED")) seed = std::strtoull(env, nullptr, 10);
  std::printf("crash test: %d cycles, TIDELOG_CRASH_SEED=%llu\n", cycles,
              static_cast<unsigned long long>(seed));
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);

  Open(CrashOptions());
  CreateStream("crash", 4);
  engine_.reset();

  std::vector<Ack> all_acks;                    // every ack, all cycles, in ack order
  std::map<std::string, std::string> seen;      // seq -> "<shard>|<data>" of every record seen
  std::map<uint32_t, SequenceNumber> max_seen;  // per shard, the highest seq ever seen
  size_t total_records = 0;
  int early_kills = 0;

  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle) + ", seed " + std::to_string(seed));
    const std::string tag = "c" + std::to_string(cycle);
    ASSERT_NO_FATAL_FAILURE(Spawn(tag, rng()));
    std::string out;
    bool alive = true;
    // One cycle in five is killed without waiting for readiness (during open/recovery).
    const bool early = rng() % 5 == 0;
    if (early) {
      ++early_kills;
      alive = ReadUntil(Clock::now() + std::chrono::milliseconds(rng() % 60), &out);
    } else {
      alive = ReadUntil(Clock::now() + std::chrono::seconds(60), &out, /*stop_at_ready=*/true);
      ASSERT_TRUE(alive) << "child exited before it was ready";
      ASSERT_NE(out.find("R\n"), std::string::npos) << "child not ready within 60 s";
      // Fault injection: kill at a random moment 1..400 ms into the append loop.
      alive = ReadUntil(Clock::now() + std::chrono::milliseconds(1 + rng() % 400), &out);
    }
    ASSERT_TRUE(alive) << "child exited on its own (see its stderr)";
    ASSERT_EQ(kill(pid_, SIGKILL), 0);
    ASSERT_FALSE(ReadUntil(Clock::now() + std::chrono::seconds(30), &out))
        << "pipe still open 30 s after SIGKILL";
    int status = 0;
    ASSERT_EQ(waitpid(pid_, &status, 0), pid_);
    pid_ = -1;
    close(rfd_);
    rfd_ = -1;
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended with status " << status;

    // Parse this cycle's acks (every line was written whole).
    std::vector<Ack> acks;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      if (line == "R") continue;
      std::istringstream f(line);
      std::string a, seq_s;
      Ack ack{};
      f >> a >> ack.shard >> seq_s >> ack.head >> ack.size;
      ASSERT_EQ(a, "A") << line;
      ASSERT_TRUE(ParseSequenceNumber(seq_s, &ack.seq)) << line;
      acks.push_back(ack);
    }
    // No sequence number reused: each new ack is above everything its shard held before this
    // child started (including unacknowledged records that survived an earlier crash).
    std::map<uint32_t, SequenceNumber> last_in_cycle;
    for (const auto& ack : acks) {
      ASSERT_EQ(seen.count(Dec(ack.seq)), 0u)
          << "seq " << Dec(ack.seq) << " reused by " << ack.head << ", was " << seen[Dec(ack.seq)];
      if (max_seen.count(ack.shard)) {
        ASSERT_TRUE(ack.seq > max_seen[ack.shard])
            << "seq " << Dec(ack.seq) << " not above recovered max " << Dec(max_seen[ack.shard]);
      }
      if (last_in_cycle.count(ack.shard)) {
        ASSERT_TRUE(ack.seq > last_in_cycle[ack.shard]) << "acks out of order in shard";
      }
      last_in_cycle[ack.shard] = ack.seq;
    }
    all_acks.insert(all_acks.end(), acks.begin(), acks.end());

    // Reopen and check every acknowledged record, ever, is there.
    ASSERT_NO_FATAL_FAILURE(Open(CrashOptions()));
    std::map<std::string, std::pair<uint32_t, const Record*>> by_seq;
    const auto records = ReadStream("crash");
    std::map<uint32_t, std::vector<SequenceNumber>> order;  // per shard, seqs as read
    for (const auto& r : records) {
      uint32_t shard = 0;
      ASSERT_TRUE(ParseShardId(r.shard_id, &shard));
      const std::string key = Dec(r.record.sequence_number);
      ASSERT_TRUE(by_seq.emplace(key, std::make_pair(shard, &r.record)).second)
          << "seq " << key << " appears twice";
      order[shard].push_back(r.record.sequence_number);
    }
    for (auto& [shard, seqs] : order) {
      for (size_t i = 1; i < seqs.size(); ++i) ASSERT_TRUE(seqs[i] > seqs[i - 1]);
    }
    for (const auto& ack : all_acks) {
      auto it = by_seq.find(Dec(ack.seq));
      ASSERT_NE(it, by_seq.end()) << "acknowledged record lost: " << ack.head << " seq "
                                  << Dec(ack.seq);
      EXPECT_EQ(it->second.first, ack.shard) << ack.head;
      const std::string& data = it->second.second->data;
      EXPECT_EQ(data.substr(0, ack.head.size()), ack.head);
      EXPECT_EQ(data.size(), ack.size) << ack.head;
    }
    // Whatever a previous recovery showed is still there, unchanged.
    for (const auto& [seq, what] : seen) {
      auto it = by_seq.find(seq);
      ASSERT_NE(it, by_seq.end()) << "recovered record vanished: seq " << seq;
      EXPECT_EQ(std::to_string(it->second.first) + "|" + it->second.second->data, what);
    }
    for (const auto& [seq, v] : by_seq) {
      seen[seq] = std::to_string(v.first) + "|" + v.second->data;
      SequenceNumber s;
      ASSERT_TRUE(ParseSequenceNumber(seq, &s)) << seq;
      if (!max_seen.count(v.first) || s > max_seen[v.first]) max_seen[v.first] = s;
    }
    total_records = records.size();
    // Halfway, reshard between crashes so recovery also covers lineage changes.
    if (cycle == cycles / 2) {
      int32_t current = 0;
      ASSERT_OK(engine_->UpdateShardCount("crash", 8, &current));
    }
    engine_.reset();
  }
  std::printf("crash test: %zu acks, %zu records on disk, %d early kills\n", all_acks.size(),
              total_records, early_kills);
  EXPECT_GT(all_acks.size(), 0u);
}

}  // namespace
}  // namespace tidelog::testing
