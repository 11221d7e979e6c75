// JSON output of the Kinesis model's shapes (Shard, StreamDescription,
// Consumer, Record, ChildShard) from the engine's value types.
#pragma once

#include <string_view>
#include <vector>

#include "server/kinesis/json_writer.h"
#include "tidelog/types.h"

namespace tidelog::server::kinesis {

void WriteShard(const ShardInfo& shard, JsonWriter* w);
void WriteChildShard(const ChildShard& child, JsonWriter* w);
void WriteRecord(const Record& record, JsonWriter* w);
// ConsumerName, ConsumerARN, ConsumerStatus, ConsumerCreationTimestamp and,
// with `with_stream_arn` (ConsumerDescription), StreamARN.
void WriteConsumer(const ConsumerInfo& consumer, bool with_stream_arn, JsonWriter* w);

// The members StreamDescription and StreamDescriptionSummary share, written
// into the currently open object.
void WriteStreamCommon(const StreamInfo& info, JsonWriter* w);
void WriteStreamModeDetails(StreamMode mode, JsonWriter* w);
// "WarmThroughput": {"TargetMiBps": .., "CurrentMiBps": ..}
void WriteWarmThroughput(const WarmThroughput& warm, JsonWriter* w);
void WriteStringList(const std::vector<std::string>& items, JsonWriter* w);

}  // namespace tidelog::server::kinesis
