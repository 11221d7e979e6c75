// Command-line options of tidelog_load.
#pragma once

#include <cstdint>
#include <string>

namespace tidelog::load {

struct LoadOptions {
  std::string mode;  // putrecords | putrecord | getrecords | put-to-get
  std::string endpoint = "127.0.0.1:4567";
  std::string stream;  // default: tidelog-load-<pid>
  int shards = 4;
  int connections = 8;
  double duration_s = 10;
  int batch = 500;           // records per PutRecords
  int record_bytes = 100;    // data bytes per record
  int64_t prefill = 200000;  // getrecords: records written before draining
  double rate = 1000;        // put-to-get: records/s written
  int poll_interval_ms = 5;  // put-to-get: pause after an empty GetRecords
  std::string access_key_id = "AKIDTIDELOGLOAD";
  std::string secret_access_key = "tidelog-load-secret";
  std::string region = "us-east-1";
  bool keep_stream = false;
  bool json = false;
};

// False with a message on bad flags; sets *help for --help.
bool ParseLoadOptions(int argc, char** argv, LoadOptions* options, bool* help, std::string* error);
std::string LoadUsage();

}  // namespace tidelog::load
