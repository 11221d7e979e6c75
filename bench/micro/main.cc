// tidelog_bench entry point: registers every micro-benchmark (engine vs raw
// RocksDB appends and reads, hot helpers), runs them, and cleans up temp dirs.
//
// Besides Google Benchmark's flags it takes --io_min_time=<seconds> (default
// 0.5): the minimum time of each append and read benchmark.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "bench/micro/benchmarks.h"

int main(int argc, char** argv) {
  double io_min_time = 0.5;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    constexpr const char kFlag[] = "--io_min_time=";
    if (std::strncmp(argv[i], kFlag, sizeof(kFlag) - 1) == 0) {
      io_min_time = std::atof(argv[i] + sizeof(kFlag) - 1);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::error_code ec;
  benchmark::AddCustomContext("tmpdir", std::filesystem::temp_directory_path(ec).string());
  benchmark::AddCustomContext("io_min_time", std::to_string(io_min_time));

  tidelog::bench::RegisterAppendBenchmarks(io_min_time);
  tidelog::bench::RegisterReadBenchmarks(io_min_time);
  tidelog::bench::RegisterHelperBenchmarks();
  tidelog::bench::RegisterJsonBenchmarks();
  tidelog::bench::RegisterCborBenchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  tidelog::bench::ReleaseReadFixtures();
  return 0;
}
