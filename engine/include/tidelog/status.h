// Status: the result of every fallible engine call. A non-OK status carries the
// AWS exception name a Kinesis client expects and the exact AWS message text.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace tidelog {

// Each code maps 1:1 to an AWS Kinesis exception name (see AwsErrorName).
enum class ErrorCode {
  kOk = 0,
  kResourceNotFound,               // ResourceNotFoundException
  kResourceInUse,                  // ResourceInUseException
  kInvalidArgument,                // InvalidArgumentException
  kLimitExceeded,                  // LimitExceededException
  kExpiredIterator,                // ExpiredIteratorException
  kExpiredNextToken,               // ExpiredNextTokenException
  kProvisionedThroughputExceeded,  // ProvisionedThroughputExceededException
  kValidation,                     // ValidationException
  kAccessDenied,                   // AccessDeniedException
  kInternalFailure,                // InternalFailure (HTTP 500)
  kIoError,                        // storage failure; surfaced to clients as InternalFailure
  kDiskFull,  // data disk full / below the reserve: ServiceUnavailable (HTTP 503), retryable
};

// The exception name AWS puts in `__type` / `x-amzn-ErrorType` for `code`.
std::string_view AwsErrorName(ErrorCode code);

class Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return {}; }
  static Status NotFound(std::string m) { return {ErrorCode::kResourceNotFound, std::move(m)}; }
  static Status InUse(std::string m) { return {ErrorCode::kResourceInUse, std::move(m)}; }
  static Status InvalidArgument(std::string m) {
    return {ErrorCode::kInvalidArgument, std::move(m)};
  }
  static Status LimitExceeded(std::string m) { return {ErrorCode::kLimitExceeded, std::move(m)}; }
  static Status ExpiredIterator(std::string m) {
    return {ErrorCode::kExpiredIterator, std::move(m)};
  }
  static Status Throttled(std::string m) {
    return {ErrorCode::kProvisionedThroughputExceeded, std::move(m)};
  }
  static Status Validation(std::string m) { return {ErrorCode::kValidation, std::move(m)}; }
  static Status Internal(std::string m) { return {ErrorCode::kInternalFailure, std::move(m)}; }
  static Status IoError(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
  // The write was refused (or failed) because the data disk is full or below
  // its free-space reserve. Nothing of it was acknowledged; retry later.
  static Status DiskFull() {
    return {ErrorCode::kDiskFull,
            "The broker's data disk is full; writes are refused until space is freed."};
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string_view aws_name() const { return AwsErrorName(code_); }
  // "<AwsName>: <message>", for logs and test failure output.
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

}  // namespace tidelog
