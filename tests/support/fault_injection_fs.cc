// FaultInjectionFileSystem: power-loss simulation and I/O error injection
// under RocksDB (see the header for the model).
#include "tests/support/fault_injection_fs.h"

#include <rocksdb/system_clock.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

namespace tidelog::testing {
namespace {

std::string Normal(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}
std::string DirOf(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}
std::string BaseOf(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// A writable file whose appends and syncs the file system sees.
class FaultWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> target, FaultInjectionFileSystem* fs,
                    std::string path)
      : FSWritableFileOwnerWrapper(std::move(target)), fs_(fs), path_(std::move(path)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Admit(FaultOp::kWrite, path_);
    if (!s.ok()) return s;
    s = target()->Append(data, options, dbg);
    if (s.ok()) fs_->NoteAppend(path_, data.size());
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& /*info*/,
                           rocksdb::IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Admit(FaultOp::kWrite, path_);
    if (!s.ok()) return s;
    s = target()->PositionedAppend(data, offset, options, dbg);
    if (s.ok()) fs_->NoteAppend(path_, data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& /*info*/,
                                     rocksdb::IODebugContext* dbg) override {
    return PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Admit(FaultOp::kSync, path_);
    if (!s.ok()) return s;
    s = target()->Sync(options, dbg);
    if (s.ok()) fs_->NoteSync(path_);
    return s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Admit(FaultOp::kSync, path_);
    if (!s.ok()) return s;
    s = target()->Fsync(options, dbg);
    if (s.ok()) fs_->NoteSync(path_);
    return s;
  }
  // sync_file_range: starts write-back, promises nothing; fails once the
  // power is cut like every other write.
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    if (!fs_->powered()) return rocksdb::IOStatus::IOError("power cut");
    return target()->RangeSync(offset, nbytes, options, dbg);
  }
  // Closing releases the descriptor even without power; it makes nothing durable.
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->Close(options, dbg);
    if (!fs_->powered()) return rocksdb::IOStatus::IOError("power cut");
    return s;
  }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
};

class FaultDirectory final : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDirectory(std::unique_ptr<rocksdb::FSDirectory> target, FaultInjectionFileSystem* fs,
                 std::string path)
      : FSDirectoryWrapper(std::move(target)), fs_(fs), path_(std::move(path)) {}

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Admit(FaultOp::kDirSync, path_);
    if (!s.ok()) return s;
    s = FSDirectoryWrapper::Fsync(options, dbg);
    if (s.ok()) fs_->NoteDirSync(path_);
    return s;
  }
  rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& options,
                                        rocksdb::IODebugContext* dbg,
                                        const rocksdb::DirFsyncOptions& dir_options) override {
    rocksdb::IOStatus s = fs_->Admit(FaultOp::kDirSync, path_);
    if (!s.ok()) return s;
    s = FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options);
    if (s.ok()) fs_->NoteDirSync(path_);
    return s;
  }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
};

}  // namespace

const char* FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kCreate:
      return "create";
    case FaultOp::kWrite:
      return "write";
    case FaultOp::kSync:
      return "fsync";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kDirSync:
      return "dir-fsync";
    case FaultOp::kDelete:
      return "delete";
  }
  return "?";
}

const char* FileClassName(FileClass c) {
  switch (c) {
    case FileClass::kWal:
      return "WAL";
    case FileClass::kTable:
      return "SST";
    case FileClass::kManifest:
      return "MANIFEST";
    case FileClass::kCurrent:
      return "CURRENT";
    case FileClass::kOptions:
      return "OPTIONS";
    case FileClass::kDirectory:
      return "directory";
    case FileClass::kOther:
      return "other";
  }
  return "?";
}

FileClass ClassifyFile(const std::string& path) {
  const std::string name = BaseOf(path);
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (name.rfind("OPTIONS", 0) == 0) return FileClass::kOptions;
  if (name.rfind("MANIFEST-", 0) == 0) return FileClass::kManifest;
  if (name == "CURRENT" || ends(".dbtmp")) return FileClass::kCurrent;
  if (ends(".log")) return FileClass::kWal;
  if (ends(".sst")) return FileClass::kTable;
  return FileClass::kOther;
}

FaultInjectionFileSystem::FaultInjectionFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
    : FileSystemWrapper(std::move(base)), rng_(1) {}

FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

namespace {

// RocksDB waits 1 s after a failed background flush before it lets a close
// finish; without power that wait only slows the tests down.
class PowerAwareClock final : public rocksdb::SystemClockWrapper {
 public:
  PowerAwareClock(std::shared_ptr<rocksdb::SystemClock> base, const FaultInjectionFileSystem* fs)
      : SystemClockWrapper(std::move(base)), fs_(fs) {}
  const char* Name() const override { return "TidelogPowerAwareClock"; }
  void SleepForMicroseconds(int micros) override {
    if (!fs_->powered()) micros = std::min(micros, 1000);
    SystemClockWrapper::SleepForMicroseconds(micros);
  }

 private:
  const FaultInjectionFileSystem* const fs_;
};

class FaultEnv final : public rocksdb::EnvWrapper {
 public:
  FaultEnv(std::unique_ptr<rocksdb::Env> base, std::shared_ptr<FaultInjectionFileSystem> fs)
      : EnvWrapper(std::move(base)), fs_(std::move(fs)) {
    // Over the real clock: EnvWrapper's own clock calls back into the Env.
    system_clock_ = std::make_shared<PowerAwareClock>(rocksdb::SystemClock::Default(), fs_.get());
  }
  const char* Name() const override { return "TidelogFaultEnv"; }

 private:
  std::shared_ptr<FaultInjectionFileSystem> fs_;
};

}  // namespace

std::unique_ptr<rocksdb::Env> FaultInjectionFileSystem::NewEnv(
    std::shared_ptr<FaultInjectionFileSystem> fs) {
  std::unique_ptr<rocksdb::Env> base = rocksdb::NewCompositeEnv(fs);
  return std::make_unique<FaultEnv>(std::move(base), std::move(fs));
}

// ---- Power loss ------------------------------------------------------------

void FaultInjectionFileSystem::CutPower() {
  std::lock_guard<std::mutex> lock(mu_);
  cut_.store(true, std::memory_order_release);
}

void FaultInjectionFileSystem::CutPowerAfter(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  cut_countdown_ = n;
}

FaultOp FaultInjectionFileSystem::cut_op() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cut_op_;
}

FileClass FaultInjectionFileSystem::cut_file() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cut_file_;
}

bool FaultInjectionFileSystem::Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

std::string FaultInjectionFileSystem::ReadSynced(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  std::string data = content.str();
  auto it = files_.find(path);
  if (it != files_.end() && data.size() > it->second.synced) data.resize(it->second.synced);
  return data;
}

rocksdb::IOStatus FaultInjectionFileSystem::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  std::error_code ec;
  // Directory entries first: a name that was never made durable goes back
  // to what the directory held at its last fsync.
  for (auto& [dir, entries] : pending_) {
    for (auto& [name, entry] : entries) {
      const std::string path = dir + "/" + name;
      if (!entry.renamed_from.empty()) {
        const std::string from = dir + "/" + entry.renamed_from;
        std::filesystem::rename(path, from, ec);
        if (ec) return rocksdb::IOStatus::IOError("undo rename " + path + ": " + ec.message());
        auto it = files_.find(path);
        if (it != files_.end()) {
          files_[from] = it->second;
          files_.erase(it);
        }
      } else if (entry.created) {
        std::filesystem::remove(path, ec);
        files_.erase(path);
        continue;
      }
      if (entry.had_old_content) {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(entry.old_content.data(), static_cast<std::streamsize>(entry.old_content.size()));
        if (!out) return rocksdb::IOStatus::IOError("restore " + path);
        files_.erase(path);
      }
    }
  }
  pending_.clear();
  // Then every file's content beyond its last fsync.
  for (const auto& [path, state] : files_) {
    if (state.size <= state.synced || !Exists(path)) continue;
    std::filesystem::resize_file(path, state.synced, ec);
    if (ec) return rocksdb::IOStatus::IOError("truncate " + path + ": " + ec.message());
  }
  files_.clear();
  cut_countdown_ = 0;
  cut_.store(false, std::memory_order_release);
  return rocksdb::IOStatus::OK();
}

void FaultInjectionFileSystem::ResetState() {
  std::lock_guard<std::mutex> lock(mu_);
  files_.clear();
  pending_.clear();
  cut_countdown_ = 0;
  cut_.store(false, std::memory_order_release);
}

// ---- Errors ----------------------------------------------------------------

void FaultInjectionFileSystem::FailNext(FaultOp op, int count, FaultError error,
                                        std::optional<FileClass> only) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_[static_cast<int>(op)] = count;
  fail_next_error_[static_cast<int>(op)] = error;
  fail_next_only_[static_cast<int>(op)] = only;
}

void FaultInjectionFileSystem::SetRandomErrors(uint32_t op_mask, double probability,
                                               FaultError error, uint64_t seed) {
  std::lock_guard<std::mutex> lock(mu_);
  random_mask_ = op_mask;
  random_probability_ = probability;
  random_error_ = error;
  rng_.seed(seed);
}

void FaultInjectionFileSystem::ClearErrors() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int& n : fail_next_) n = 0;
  random_mask_ = 0;
  random_probability_ = 0;
}

uint64_t FaultInjectionFileSystem::calls(FaultOp op) const {
  return calls_[static_cast<int>(op)].load(std::memory_order_relaxed);
}

uint64_t FaultInjectionFileSystem::mutating_calls() const {
  uint64_t n = 0;
  for (const auto& c : calls_) n += c.load(std::memory_order_relaxed);
  return n;
}

rocksdb::IOStatus FaultInjectionFileSystem::Admit(FaultOp op, const std::string& path) {
  const int k = static_cast<int>(op);
  calls_[k].fetch_add(1, std::memory_order_relaxed);
  if (cut_.load(std::memory_order_acquire)) return rocksdb::IOStatus::IOError("power cut");
  std::lock_guard<std::mutex> lock(mu_);
  if (cut_countdown_ > 0 && --cut_countdown_ == 0) {
    cut_op_ = op;
    cut_file_ = op == FaultOp::kDirSync ? FileClass::kDirectory : ClassifyFile(path);
    cut_.store(true, std::memory_order_release);
    return rocksdb::IOStatus::IOError("power cut");
  }
  auto error = [&](FaultError e) {
    injected_.fetch_add(1, std::memory_order_relaxed);
    return e == FaultError::kNoSpace ? rocksdb::IOStatus::NoSpace("injected ENOSPC")
                                     : rocksdb::IOStatus::IOError("injected EIO");
  };
  const FileClass file = op == FaultOp::kDirSync ? FileClass::kDirectory : ClassifyFile(path);
  if (fail_next_[k] > 0 && (!fail_next_only_[k] || *fail_next_only_[k] == file)) {
    --fail_next_[k];
    return error(fail_next_error_[k]);
  }
  if ((random_mask_ & (1u << k)) != 0 && random_probability_ > 0 &&
      std::uniform_real_distribution<double>(0, 1)(rng_) < random_probability_) {
    return error(random_error_);
  }
  return rocksdb::IOStatus::OK();
}

void FaultInjectionFileSystem::NoteAppend(const std::string& path, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[path].size += bytes;
}

void FaultInjectionFileSystem::NoteSync(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& f = files_[path];
  f.synced = f.size;
}

void FaultInjectionFileSystem::NoteDirSync(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(Normal(dir));
}

void FaultInjectionFileSystem::TrackOpened(const std::string& fname, bool existed,
                                           uint64_t size_at_open) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[fname] = FileState{size_at_open, size_at_open};
  if (!existed) pending_[DirOf(fname)][BaseOf(fname)].created = true;
}

// ---- rocksdb::FileSystem ---------------------------------------------------

rocksdb::IOStatus FaultInjectionFileSystem::OpenWritable(
    const std::string& fname, bool reopen, const rocksdb::FileOptions& opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  const std::string path = Normal(fname);
  rocksdb::IOStatus s = Admit(FaultOp::kCreate, path);
  if (!s.ok()) return s;
  const bool existed = Exists(path);
  std::error_code ec;
  // A reopened file keeps its bytes; what it held counts as synced.
  const uint64_t size = reopen && existed ? std::filesystem::file_size(path, ec) : 0;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  s = reopen ? target()->ReopenWritableFile(fname, opts, &file, dbg)
             : target()->NewWritableFile(fname, opts, &file, dbg);
  if (!s.ok()) return s;
  TrackOpened(path, existed, ec ? 0 : size);
  *result = std::make_unique<FaultWritableFile>(std::move(file), this, path);
  return s;
}

rocksdb::IOStatus FaultInjectionFileSystem::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  return OpenWritable(fname, /*reopen=*/false, opts, result, dbg);
}

rocksdb::IOStatus FaultInjectionFileSystem::ReopenWritableFile(
    const std::string& fname, const rocksdb::FileOptions& opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  return OpenWritable(fname, /*reopen=*/true, opts, result, dbg);
}

rocksdb::IOStatus FaultInjectionFileSystem::ReuseWritableFile(
    const std::string& fname, const std::string& old_fname, const rocksdb::FileOptions& opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = RenameFile(old_fname, fname, rocksdb::IOOptions(), dbg);
  if (!s.ok()) return s;
  return NewWritableFile(fname, opts, result, dbg);
}

rocksdb::IOStatus FaultInjectionFileSystem::NewDirectory(
    const std::string& name, const rocksdb::IOOptions& io_opts,
    std::unique_ptr<rocksdb::FSDirectory>* result, rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  rocksdb::IOStatus s = target()->NewDirectory(name, io_opts, &dir, dbg);
  if (!s.ok()) return s;
  *result = std::make_unique<FaultDirectory>(std::move(dir), this, Normal(name));
  return s;
}

rocksdb::IOStatus FaultInjectionFileSystem::DeleteFile(const std::string& fname,
                                                       const rocksdb::IOOptions& options,
                                                       rocksdb::IODebugContext* dbg) {
  const std::string path = Normal(fname);
  rocksdb::IOStatus s = Admit(FaultOp::kDelete, path);
  if (!s.ok()) return s;
  s = target()->DeleteFile(fname, options, dbg);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(path);
  auto dir = pending_.find(DirOf(path));
  if (dir != pending_.end()) dir->second.erase(BaseOf(path));
  return s;
}

rocksdb::IOStatus FaultInjectionFileSystem::RenameFile(const std::string& src,
                                                       const std::string& target_name,
                                                       const rocksdb::IOOptions& options,
                                                       rocksdb::IODebugContext* dbg) {
  const std::string from = Normal(src), to = Normal(target_name);
  rocksdb::IOStatus s = Admit(FaultOp::kRename, to);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  const bool to_existed = Exists(to);
  PendingEntry entry;
  if (to_existed) {
    entry.had_old_content = true;
    entry.old_content = ReadSynced(to);
  }
  s = target()->RenameFile(src, target_name, options, dbg);
  if (!s.ok()) return s;
  auto& dir_entries = pending_[DirOf(from)];
  auto was = dir_entries.find(BaseOf(from));
  if (was != dir_entries.end() && was->second.created) {
    // The source itself was never durable: after a power loss neither name
    // holds it; the target keeps (or regains) its old content.
    entry.created = !to_existed;
  } else if (was != dir_entries.end() && !was->second.renamed_from.empty()) {
    entry.renamed_from = was->second.renamed_from;
  } else {
    entry.renamed_from = BaseOf(from);
  }
  if (was != dir_entries.end()) dir_entries.erase(was);
  auto& slot = pending_[DirOf(to)][BaseOf(to)];
  if (slot.had_old_content || slot.created) {
    // The target was already changed since the last directory fsync: the
    // oldest state is what a power loss returns to.
    entry.had_old_content = slot.had_old_content;
    entry.old_content = std::move(slot.old_content);
    entry.created = slot.created && entry.renamed_from.empty();
  }
  slot = std::move(entry);
  auto f = files_.find(from);
  if (f != files_.end()) {
    files_[to] = f->second;
    files_.erase(f);
  } else {
    files_.erase(to);
  }
  return s;
}

rocksdb::IOStatus FaultInjectionFileSystem::LinkFile(const std::string& src,
                                                     const std::string& target_name,
                                                     const rocksdb::IOOptions& options,
                                                     rocksdb::IODebugContext* dbg) {
  const std::string to = Normal(target_name);
  rocksdb::IOStatus s = Admit(FaultOp::kCreate, to);
  if (!s.ok()) return s;
  const bool existed = Exists(to);
  s = target()->LinkFile(src, target_name, options, dbg);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (!existed) pending_[DirOf(to)][BaseOf(to)].created = true;
  return s;
}

}  // namespace tidelog::testing
