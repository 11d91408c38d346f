// Reading values from JSON the engine did not just make (journals, reel records, the recorder
// protocol, a decode child's request): nlohmann's get<std::uint32_t>() casts whatever number
// it finds, so 6.7e19 read as a frame number is undefined behaviour and -1 is frame
// 4294967295. These take a value only when it is of T's kind (an integer for an integral T,
// any number for a floating-point T, a boolean, a string) and T holds it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace fw {

// The value as T, or nothing when it is of another kind or out of T's range.
template <typename T>
std::optional<T> json_as(const nlohmann::json& value) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) return std::nullopt;
    return value.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (value.is_number_unsigned()) {
      const auto v = value.get<std::uint64_t>();
      if (!std::in_range<T>(v)) return std::nullopt;
      return static_cast<T>(v);
    }
    if (value.is_number_integer()) {
      const auto v = value.get<std::int64_t>();
      if (!std::in_range<T>(v)) return std::nullopt;
      return static_cast<T>(v);
    }
    return std::nullopt;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number()) return std::nullopt;
    return value.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!value.is_string()) return std::nullopt;
    return value.get<std::string>();
  } else {
    static_assert(sizeof(T) == 0, "json_as: bool, integers, floating point or std::string");
  }
}

// object[key] as T. A missing key or a value that is not a T throws nlohmann::json's own
// exceptions (out_of_range 403, type_error 302), so a reader's one catch of
// nlohmann::json::exception reports both with its file and line.
template <typename T>
T json_get(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = object.at(key);
  if (auto v = json_as<T>(value)) return *std::move(v);
  throw nlohmann::json::type_error::create(
      302,
      std::string(key) + ": unexpected " +
          value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace),
      &value);
}

// The same, with `fallback` when object has no `key`.
template <typename T>
T json_get(const nlohmann::json& object, std::string_view key, T fallback) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  return json_get<T>(object, key);
}

}  // namespace fw
