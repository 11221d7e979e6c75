// FaultInjectionFileSystem itself: what survives its simulated power loss
// (synced bytes, directory entries made durable by a directory fsync, renames
// undone otherwise) and how it fails calls, so the power-loss and I/O-error
// tests built on it can be trusted.
#include "tests/support/fault_injection_fs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tidelog::testing {
namespace {

class FaultInjectionFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("tidelog-faultfs-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    fs_ = std::make_shared<FaultInjectionFileSystem>();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<rocksdb::FSWritableFile> Create(const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> f;
    EXPECT_TRUE(fs_->NewWritableFile(dir_ + "/" + name, rocksdb::FileOptions(), &f, nullptr).ok());
    return f;
  }
  void SyncDir() {
    std::unique_ptr<rocksdb::FSDirectory> d;
    ASSERT_TRUE(fs_->NewDirectory(dir_, rocksdb::IOOptions(), &d, nullptr).ok());
    ASSERT_TRUE(d->Fsync(rocksdb::IOOptions(), nullptr).ok());
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  bool Exists(const std::string& name) { return std::filesystem::exists(dir_ + "/" + name); }
  static void Append(rocksdb::FSWritableFile* f, const std::string& data) {
    ASSERT_TRUE(f->Append(data, rocksdb::IOOptions(), nullptr).ok());
  }
  static void Sync(rocksdb::FSWritableFile* f) {
    ASSERT_TRUE(f->Sync(rocksdb::IOOptions(), nullptr).ok());
  }
  // A new file holding `data`, fsynced (its directory entry is not).
  std::unique_ptr<rocksdb::FSWritableFile> CreateSynced(const std::string& name,
                                                        const std::string& data) {
    auto f = Create(name);
    Append(f.get(), data);
    Sync(f.get());
    return f;
  }
  void Rename(const std::string& from, const std::string& to) {
    ASSERT_TRUE(
        fs_->RenameFile(dir_ + "/" + from, dir_ + "/" + to, rocksdb::IOOptions(), nullptr).ok());
  }

  std::string dir_;
  std::shared_ptr<FaultInjectionFileSystem> fs_;
};

TEST_F(FaultInjectionFsTest, PowerLossKeepsOnlySyncedBytes) {
  auto f = Create("a.log");
  SyncDir();
  Append(f.get(), "synced;");
  Sync(f.get());
  Append(f.get(), "not synced");
  ASSERT_TRUE(f->Close(rocksdb::IOOptions(), nullptr).ok());
  EXPECT_EQ(Read("a.log"), "synced;not synced");
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  EXPECT_EQ(Read("a.log"), "synced;");
}

TEST_F(FaultInjectionFsTest, NewFileVanishesUnlessItsDirectoryWasSynced) {
  auto a = CreateSynced("durable.sst", "x");
  SyncDir();
  auto b = Create("lost.sst");
  Append(b.get(), "y");
  Sync(b.get());  // its data is synced, its name is not
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  EXPECT_TRUE(Exists("durable.sst"));
  EXPECT_EQ(Read("durable.sst"), "x");
  EXPECT_FALSE(Exists("lost.sst"));
}

TEST_F(FaultInjectionFsTest, RenameWithoutDirectorySyncIsUndone) {
  auto cur = CreateSynced("CURRENT", "MANIFEST-000001\n");
  SyncDir();
  auto tmp = CreateSynced("000002.dbtmp", "MANIFEST-000002\n");
  Rename("000002.dbtmp", "CURRENT");
  EXPECT_EQ(Read("CURRENT"), "MANIFEST-000002\n");
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  EXPECT_EQ(Read("CURRENT"), "MANIFEST-000001\n");
  EXPECT_FALSE(Exists("000002.dbtmp"));

  // With the directory synced after the rename, the rename holds.
  tmp = CreateSynced("000003.dbtmp", "MANIFEST-000003\n");
  Rename("000003.dbtmp", "CURRENT");
  SyncDir();
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  EXPECT_EQ(Read("CURRENT"), "MANIFEST-000003\n");
}

TEST_F(FaultInjectionFsTest, RenameOfDurableFileComesBackUnderItsOldName) {
  auto f = CreateSynced("old.log", "data");
  SyncDir();
  Rename("old.log", "new.log");
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  EXPECT_TRUE(Exists("old.log"));
  EXPECT_FALSE(Exists("new.log"));
  EXPECT_EQ(Read("old.log"), "data");
}

TEST_F(FaultInjectionFsTest, InjectedErrorsWriteNothingAndCarryTheirCode) {
  auto f = Create("a.log");
  fs_->FailNext(FaultOp::kWrite, 1, FaultError::kNoSpace);
  rocksdb::IOStatus s = f->Append("lost", rocksdb::IOOptions(), nullptr);
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  Append(f.get(), "kept");
  fs_->FailNext(FaultOp::kSync, 1, FaultError::kIo);
  s = f->Sync(rocksdb::IOOptions(), nullptr);
  EXPECT_TRUE(s.IsIOError() && !s.IsNoSpace()) << s.ToString();
  ASSERT_TRUE(f->Close(rocksdb::IOOptions(), nullptr).ok());
  EXPECT_EQ(Read("a.log"), "kept");
  EXPECT_EQ(fs_->injected_errors(), 2u);
  // The failed sync made nothing durable.
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  EXPECT_FALSE(Exists("a.log"));  // nor was the directory synced
}

TEST_F(FaultInjectionFsTest, FailNextLimitedToAFileClassSkipsOtherFiles) {
  auto table = Create("000007.sst");
  auto wal = Create("000008.log");
  fs_->FailNext(FaultOp::kWrite, 1, FaultError::kIo, FileClass::kWal);
  EXPECT_TRUE(table->Append("kept", rocksdb::IOOptions(), nullptr).ok());
  EXPECT_TRUE(wal->Append("lost", rocksdb::IOOptions(), nullptr).IsIOError());
  EXPECT_TRUE(wal->Append("kept", rocksdb::IOOptions(), nullptr).ok());
  EXPECT_EQ(fs_->injected_errors(), 1u);
  ASSERT_TRUE(table->Close(rocksdb::IOOptions(), nullptr).ok());
  ASSERT_TRUE(wal->Close(rocksdb::IOOptions(), nullptr).ok());
}

TEST_F(FaultInjectionFsTest, CutPowerAfterFailsThatCallAndEveryLaterOne) {
  auto f = Create("000001.log");
  fs_->CutPowerAfter(2);
  Append(f.get(), "one");  // call 1
  EXPECT_TRUE(fs_->powered());
  EXPECT_FALSE(f->Sync(rocksdb::IOOptions(), nullptr).ok());  // call 2: the cut
  EXPECT_FALSE(fs_->powered());
  EXPECT_EQ(fs_->cut_op(), FaultOp::kSync);
  EXPECT_EQ(fs_->cut_file(), FileClass::kWal);
  EXPECT_FALSE(f->Append("two", rocksdb::IOOptions(), nullptr).ok());
  std::unique_ptr<rocksdb::FSWritableFile> g;
  EXPECT_FALSE(fs_->NewWritableFile(dir_ + "/x", rocksdb::FileOptions(), &g, nullptr).ok());
  f.reset();
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  EXPECT_TRUE(fs_->powered());
}

TEST_F(FaultInjectionFsTest, RandomErrorsHitOnlyTheChosenCalls) {
  auto f = Create("a.log");
  fs_->SetRandomErrors(1u << static_cast<int>(FaultOp::kSync), 0.5, FaultError::kIo, 42);
  int failed = 0;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(f->Append("x", rocksdb::IOOptions(), nullptr).ok());
    if (!f->Sync(rocksdb::IOOptions(), nullptr).ok()) ++failed;
  }
  EXPECT_GT(failed, 50);
  EXPECT_LT(failed, 150);
  fs_->ClearErrors();
  EXPECT_TRUE(f->Sync(rocksdb::IOOptions(), nullptr).ok());
}

}  // namespace
}  // namespace tidelog::testing
