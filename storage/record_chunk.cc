// RecordChunk encoding and decoding (format in record_chunk.h).
#include "storage/record_chunk.h"

#include <cstring>

namespace tidelog::storage {

namespace {

constexpr uint32_t kChunkMagic = 0x314b4354;  // "TCK1" read as little-endian bytes
constexpr size_t kHeaderBytes = ChunkBuilder::kHeaderBytes;
constexpr size_t kEntryHeaderBytes = 16;
constexpr char kZeros[8] = {};

void PutLittle32(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutLittle64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetLittle32(const char* in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
uint64_t GetLittle64(const char* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
size_t PadTo8(size_t n) { return (n + 7) & ~size_t{7}; }

}  // namespace

void ChunkBuilder::Reset() {
  headers_.assign(kHeaderBytes, '\0');
  PutLittle32(headers_.data(), kChunkMagic);
  values_.clear();
  size_bytes_ = kHeaderBytes;
  last_seq_ = 0;
}

void ChunkBuilder::Add(uint64_t seq, std::string_view value) {
  const size_t at = headers_.size();
  headers_.resize(at + kEntryHeaderBytes);
  char* p = headers_.data() + at;
  PutLittle64(p, seq);
  PutLittle32(p + 8, static_cast<uint32_t>(value.size()));
  PutLittle32(p + 12, 0);
  values_.push_back(value);
  size_bytes_ += kEntryHeaderBytes + PadTo8(value.size());
  last_seq_ = seq;
}

const std::vector<std::string_view>& ChunkBuilder::Finish() {
  PutLittle32(headers_.data() + 4, static_cast<uint32_t>(values_.size()));
  pieces_.clear();
  pieces_.emplace_back(headers_.data(), kHeaderBytes);
  for (size_t i = 0; i < values_.size(); ++i) {
    const std::string_view value = values_[i];
    pieces_.emplace_back(headers_.data() + kHeaderBytes + i * kEntryHeaderBytes, kEntryHeaderBytes);
    if (!value.empty()) pieces_.push_back(value);
    const size_t pad = PadTo8(value.size()) - value.size();
    if (pad > 0) pieces_.emplace_back(kZeros, pad);
  }
  return pieces_;
}

ChunkWalk WalkChunk(std::string_view chunk, uint64_t key_seq, uint64_t after, uint64_t upto,
                    const std::function<bool(uint64_t seq, std::string_view value)>& visit) {
  if (chunk.size() < kHeaderBytes || GetLittle32(chunk.data()) != kChunkMagic) {
    return ChunkWalk::kCorrupt;
  }
  const uint32_t count = GetLittle32(chunk.data() + 4);
  size_t at = kHeaderBytes;
  uint64_t prev = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (chunk.size() - at < kEntryHeaderBytes) return ChunkWalk::kCorrupt;
    const char* p = chunk.data() + at;
    const uint64_t seq = GetLittle64(p);
    const size_t size = GetLittle32(p + 8);
    const size_t room = chunk.size() - at - kEntryHeaderBytes;
    if ((i > 0 && seq <= prev) || PadTo8(size) > room) return ChunkWalk::kCorrupt;
    if (seq > upto) return ChunkWalk::kStopped;
    if (seq > after && !visit(seq, std::string_view(p + kEntryHeaderBytes, size))) {
      return ChunkWalk::kStopped;
    }
    prev = seq;
    at += kEntryHeaderBytes + PadTo8(size);
  }
  return at == chunk.size() && count > 0 && prev == key_seq ? ChunkWalk::kEnd : ChunkWalk::kCorrupt;
}

}  // namespace tidelog::storage
