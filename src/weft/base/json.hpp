// The one JSON type weft uses everywhere: nlohmann's ordered_json, so that records and
// provenance keep the order in which their fields were written.
#pragma once

#include <nlohmann/json.hpp>

namespace weft {

using json = nlohmann::ordered_json;

}  // namespace weft
