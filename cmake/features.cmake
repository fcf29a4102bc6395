# Optional parts of the build (integrations, tests, examples, benchmarks, fuzzers) are
# AUTO / ON / OFF cache options:
#   AUTO  built when what they need is found; otherwise skipped with one status line that
#         says what is missing and how to get it;
#   ON    required: a missing dependency stops the configure step with that same reason;
#   OFF   not built, nothing is looked up.
# Any CMake boolean is accepted for ON/OFF (TRUE, 1, YES, FALSE, 0, NO ...).

# asyncctx_feature_option(<var> <default> <doc>)
function(asyncctx_feature_option var default doc)
  set(${var} ${default} CACHE STRING "${doc}: AUTO (when its dependencies are found), ON (required) or OFF")
  set_property(CACHE ${var} PROPERTY STRINGS AUTO ON OFF)
endfunction()

# asyncctx_feature_mode(<var> <out>): sets <out> to AUTO, ON or OFF from the value of <var>.
function(asyncctx_feature_mode var out)
  string(TOUPPER "${${var}}" value)
  if(value STREQUAL "AUTO")
    set(mode AUTO)
  elseif(value MATCHES "^(ON|TRUE|YES|Y|1)$")
    set(mode ON)
  elseif(value MATCHES "^(OFF|FALSE|NO|N|0|)$")
    set(mode OFF)
  else()
    message(FATAL_ERROR "asyncctx: ${var}=${${var}} is not one of AUTO, ON, OFF")
  endif()
  set(${out} ${mode} PARENT_SCOPE)
endfunction()

# asyncctx_feature_missing(<var> <missing> <skipped> <fix>)
# Called when a dependency of the part <var> turns on is not available. With AUTO, prints
#   asyncctx: <missing>: <skipped> skipped (to build them: <fix>; to silence this: -D<var>=OFF)
# With ON (explicitly requested), stops with the same reason.
function(asyncctx_feature_missing var missing skipped fix)
  asyncctx_feature_mode(${var} mode)
  if(mode STREQUAL "ON")
    message(FATAL_ERROR "asyncctx: ${var}=${${var}} was requested, but ${missing} "
                        "(${fix}; or set -D${var}=AUTO to build without it)")
  endif()
  message(STATUS "asyncctx: ${missing}: ${skipped} skipped (to build them: ${fix}; to silence this: -D${var}=OFF)")
endfunction()
