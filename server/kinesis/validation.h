// Request checking in AWS's order: first types (SerializationException, with
// Coral's Java texts), then model constraints (ValidationException, "N
// validation error(s) detected: ...", at most 10).
#pragma once

#include <optional>
#include <string>

#include "server/kinesis/json_value.h"
#include "server/kinesis/shape.h"

namespace tidelog::server::kinesis {

// Checks the type of every member `shape` knows and normalizes the body:
// drops unknown and null members, floors numbers of integer shapes (clamping
// Integer to 32 bits), and replaces each Blob's base64 text with its decoded
// bytes. Returns the SerializationException message on failure.
std::optional<std::string> CheckTypes(const Shape& shape, JsonValue* body);

// Checks the model constraints of a body that passed CheckTypes. Returns the
// ValidationException message on failure.
std::optional<std::string> CheckConstraints(const Shape& shape, const JsonValue& body);

// String length as Java counts it: UTF-16 code units.
size_t Utf16Length(std::string_view utf8);

}  // namespace tidelog::server::kinesis
