// FaultInjectionFileSystem: a rocksdb::FileSystem wrapper that simulates power
// loss and injects I/O errors, for the crash, power-loss and I/O-error tests.
//
// Power loss. The wrapper tracks, for every file written through it, how many
// bytes were appended and how many of them an fsync covered, and which files
// were created or renamed since the last fsync of their directory. After
// CutPower() (or the CutPowerAfter() trigger fires) every mutating call fails
// with IOError("power cut"), as a dead disk would; once the DB is closed,
// DropUnsyncedData() rewrites the directory into what a disk would hold after
// the power came back:
//   - every file is truncated to its last fsynced size;
//   - a file created since its directory's last fsync disappears;
//   - a rename since its directory's last fsync is undone (the source comes
//     back, the target regains its previous content or disappears).
// Deletions are kept (a deleted file never comes back): RocksDB removes files
// it no longer references only after the MANIFEST that stops referencing them
// is synced, so their return would only add obsolete files. RangeSync
// (sync_file_range) does not count as an fsync: it makes no durability promise.
//
// Errors. FailNext() fails the next calls of one kind; SetRandomErrors() fails
// calls of the chosen kinds with a probability, with EIO (IOError) or ENOSPC
// (NoSpace). A failed append or sync writes nothing.
//
// Thread-safety: all methods, and the wrapped files, may be used from any
// thread (RocksDB calls from its background threads).
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>

namespace tidelog::testing {

// The kinds of mutating call the wrapper counts and can fail.
enum class FaultOp : int {
  kCreate = 0,  // NewWritableFile / ReopenWritableFile / ReuseWritableFile
  kWrite,       // Append / PositionedAppend
  kSync,        // Sync / Fsync of a file
  kRename,      // RenameFile
  kDirSync,     // FSDirectory::Fsync / FsyncWithDirOptions
  kDelete,      // DeleteFile
};
inline constexpr int kFaultOpCount = 6;
const char* FaultOpName(FaultOp op);

// The class of file a call touched, from its name.
enum class FileClass : int { kWal = 0, kTable, kManifest, kCurrent, kOptions, kDirectory, kOther };
inline constexpr int kFileClassCount = 7;
const char* FileClassName(FileClass c);
FileClass ClassifyFile(const std::string& path);

enum class FaultError { kIo, kNoSpace };

class FaultInjectionFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultInjectionFileSystem(
      std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default());
  ~FaultInjectionFileSystem() override;

  // An Env doing its file I/O through `fs` (DBOptions::env). The Env holds a
  // reference to `fs`.
  static std::unique_ptr<rocksdb::Env> NewEnv(std::shared_ptr<FaultInjectionFileSystem> fs);

  const char* Name() const override { return "TidelogFaultInjectionFileSystem"; }

  // ---- Power loss ----
  // From now on every mutating call fails (IOError "power cut").
  void CutPower();
  // Cuts the power just before the `n`-th mutating call from now (n >= 1):
  // that call and every later one fail.
  void CutPowerAfter(uint64_t n);
  bool powered() const { return !cut_.load(std::memory_order_acquire); }
  // The call at which the power was cut (valid once !powered()).
  FaultOp cut_op() const;
  FileClass cut_file() const;
  // Turns the directory into what survives a power loss (see the file
  // comment) and restores power. Call only with no DB open on the files.
  rocksdb::IOStatus DropUnsyncedData();
  // Forgets every tracked file: what is on disk now counts as synced.
  void ResetState();

  // ---- Errors ----
  // The next `count` calls of kind `op` fail with `error`; with `only`, only
  // calls on files of that class count (e.g. the WAL, not a background flush).
  void FailNext(FaultOp op, int count, FaultError error,
                std::optional<FileClass> only = std::nullopt);
  // Each call whose kind is in `op_mask` (bit 1 << FaultOp) fails with
  // probability `probability`; 0 turns random errors off.
  void SetRandomErrors(uint32_t op_mask, double probability, FaultError error, uint64_t seed);
  void ClearErrors();

  // ---- Counters ----
  uint64_t calls(FaultOp op) const;
  uint64_t mutating_calls() const;
  uint64_t injected_errors() const { return injected_.load(std::memory_order_relaxed); }

  // ---- rocksdb::FileSystem ----
  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& opts,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& io_opts,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& target,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;

  // ---- Used by the wrapped files and directories ----
  // Counts a call and decides whether it fails; `path` classifies it.
  rocksdb::IOStatus Admit(FaultOp op, const std::string& path);
  void NoteAppend(const std::string& path, uint64_t bytes);
  void NoteSync(const std::string& path);
  void NoteDirSync(const std::string& dir);

 private:
  struct FileState {
    uint64_t size = 0;    // bytes appended through the wrapper (plus the size at open)
    uint64_t synced = 0;  // bytes an fsync covered
  };
  // A directory change not yet made durable by a directory fsync.
  struct PendingEntry {
    bool created = false;          // the name did not exist before (creation or rename target)
    std::string renamed_from;      // non-empty: the name came from a rename of this one
    bool had_old_content = false;  // a rename replaced an existing file
    std::string old_content;       // its content (synced part)
  };
  // Records a file opened for writing; `existed`: the name was there before.
  void TrackOpened(const std::string& fname, bool existed, uint64_t size_at_open);
  // NewWritableFile (reopen false) or ReopenWritableFile, tracked.
  rocksdb::IOStatus OpenWritable(const std::string& fname, bool reopen,
                                 const rocksdb::FileOptions& opts,
                                 std::unique_ptr<rocksdb::FSWritableFile>* result,
                                 rocksdb::IODebugContext* dbg);
  bool Exists(const std::string& path);
  // The part of `path` a power loss would leave (all of it if untracked).
  std::string ReadSynced(const std::string& path);

  std::atomic<bool> cut_{false};
  std::atomic<uint64_t> injected_{0};
  std::atomic<uint64_t> calls_[kFaultOpCount] = {};

  mutable std::mutex mu_;
  uint64_t cut_countdown_ = 0;  // 0: no trigger
  FaultOp cut_op_ = FaultOp::kWrite;
  FileClass cut_file_ = FileClass::kOther;
  int fail_next_[kFaultOpCount] = {};
  FaultError fail_next_error_[kFaultOpCount] = {};
  std::optional<FileClass> fail_next_only_[kFaultOpCount];
  uint32_t random_mask_ = 0;
  double random_probability_ = 0;
  FaultError random_error_ = FaultError::kIo;
  std::mt19937_64 rng_;
  std::map<std::string, FileState> files_;
  // By directory, then by file name in it.
  std::map<std::string, std::map<std::string, PendingEntry>> pending_;
};

}  // namespace tidelog::testing
