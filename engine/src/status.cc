// Status: AWS exception names for error codes.
#include "tidelog/status.h"

namespace tidelog {

std::string_view AwsErrorName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "";
    case ErrorCode::kResourceNotFound:
      return "ResourceNotFoundException";
    case ErrorCode::kResourceInUse:
      return "ResourceInUseException";
    case ErrorCode::kInvalidArgument:
      return "InvalidArgumentException";
    case ErrorCode::kLimitExceeded:
      return "LimitExceededException";
    case ErrorCode::kExpiredIterator:
      return "ExpiredIteratorException";
    case ErrorCode::kExpiredNextToken:
      return "ExpiredNextTokenException";
    case ErrorCode::kProvisionedThroughputExceeded:
      return "ProvisionedThroughputExceededException";
    case ErrorCode::kValidation:
      return "ValidationException";
    case ErrorCode::kAccessDenied:
      return "AccessDeniedException";
    case ErrorCode::kInternalFailure:
      return "InternalFailure";
    case ErrorCode::kIoError:
      return "InternalFailure";
    case ErrorCode::kDiskFull:
      // AWS's common error for a temporary server-side failure (HTTP 503):
      // every AWS SDK retries it with backoff.
      return "ServiceUnavailable";
  }
  return "InternalFailure";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(aws_name());
  s += ": ";
  s += message_;
  return s;
}

}  // namespace tidelog
