#include "base/error.hpp"

namespace fw {

Error with_context(const std::string& context, const Error& error) {
  return Error(error.kind(), context + ": " + error.what());
}

}  // namespace fw
