// SmallFs: a size-limited tmpfs that a disk-full test mounts for itself, can
// grow and fill, and always unmounts. Tests skip (GTEST_SKIP) when mounting
// is not permitted (not root, no CAP_SYS_ADMIN, seccomp).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace tidelog::testing {

class SmallFs {
 public:
  SmallFs() = default;
  SmallFs(const SmallFs&) = delete;
  SmallFs& operator=(const SmallFs&) = delete;
  ~SmallFs() { Unmount(); }

  // Mounts a tmpfs of `mib` MiB at a fresh directory. False (with *why) when
  // mounting is not permitted here.
  bool Mount(size_t mib, std::string* why) {
    char tmpl[] = "/tmp/tidelog-smallfs-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      *why = std::string("mkdtemp: ") + std::strerror(errno);
      return false;
    }
    dir_ = tmpl;
    const std::string opts = "size=" + std::to_string(mib) + "m,mode=0700";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      *why = "cannot mount a tmpfs (" + std::string(std::strerror(errno)) +
             "); disk-full tests need root or CAP_SYS_ADMIN";
      ::rmdir(dir_.c_str());
      dir_.clear();
      return false;
    }
    mounted_ = true;
    return true;
  }

  // Grows (or shrinks) the mounted tmpfs to `mib` MiB.
  bool Resize(size_t mib) {
    const std::string opts = "size=" + std::to_string(mib) + "m";
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) == 0;
  }

  // Fills the filesystem with `name` until ENOSPC, leaving about
  // `leave_bytes` free (the file is written, then shrunk by that much).
  void Fill(const std::string& name = "filler", size_t leave_bytes = 0) {
    const std::string path = dir_ + "/" + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    std::vector<char> buf(1 << 20, 'f');
    for (size_t chunk : {size_t{1} << 20, size_t{64} << 10, size_t{4} << 10, size_t{512}}) {
      while (::write(fd, buf.data(), chunk) == static_cast<ssize_t>(chunk)) {
      }
    }
    if (leave_bytes > 0) {
      off_t size = ::lseek(fd, 0, SEEK_END);
      ASSERT_EQ(::ftruncate(fd, size > static_cast<off_t>(leave_bytes)
                                    ? size - static_cast<off_t>(leave_bytes)
                                    : 0),
                0);
    }
    ::close(fd);
  }
  void RemoveFiller(const std::string& name = "filler") {
    std::filesystem::remove(dir_ + "/" + name);
  }

  uint64_t FreeBytes() const {
    struct statvfs st {};
    if (::statvfs(dir_.c_str(), &st) != 0) return 0;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

  // Unmounts (detaching if busy) and removes the directory. Idempotent.
  void Unmount() {
    if (mounted_) {
      ::umount2(dir_.c_str(), MNT_DETACH);
      mounted_ = false;
    }
    if (!dir_.empty()) {
      ::rmdir(dir_.c_str());
      dir_.clear();
    }
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Polls `done` until it returns true or `timeout` passes (a bounded poll, not
// a synchronising sleep). Returns the time it took, or -1 ms on timeout.
inline std::chrono::milliseconds PollUntil(const std::function<bool()>& done,
                                           std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (done()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    if (std::chrono::steady_clock::now() - start > timeout) return std::chrono::milliseconds(-1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace tidelog::testing
