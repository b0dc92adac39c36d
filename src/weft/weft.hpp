// Umbrella header: includes every public weft header.
#pragma once

#include "weft/core/comm.hpp"
#include "weft/core/datatype.hpp"
#include "weft/core/environment.hpp"
#include "weft/core/error.hpp"
#include "weft/core/layout.hpp"
#include "weft/core/log.hpp"
#include "weft/core/provenance.hpp"
#include "weft/core/record.hpp"
#include "weft/core/request.hpp"
#include "weft/core/staged_file.hpp"
#include "weft/core/timer.hpp"
