# Warning and hardening flags live on INTERFACE targets so each target opts
# in explicitly: bulwark_warnings (everything) and bulwark_strict (our own
# library and tools; tests skip it because the CMocka macros cast freely
# and argv-style string literals are handy there).
add_library(bulwark_warnings INTERFACE)
target_compile_options(bulwark_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow -Wpointer-arith -Wcast-qual
  -Wcast-align -Wstrict-prototypes -Wmissing-prototypes
  -Wold-style-definition -Wvla -Wundef -Wimplicit-fallthrough -fno-common)
if(ENABLE_WERROR)
  target_compile_options(bulwark_warnings INTERFACE -Werror)
endif()

add_library(bulwark_strict INTERFACE)
target_link_libraries(bulwark_strict INTERFACE bulwark_warnings)
target_compile_options(bulwark_strict INTERFACE
  -Wwrite-strings -Wconversion -Wsign-conversion -Wbad-function-cast
  -Wmissing-noreturn
  -Wdeclaration-after-statement)
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  target_compile_options(bulwark_strict INTERFACE
    -Wduplicated-cond -Wduplicated-branches -Wlogical-op)
elseif(CMAKE_C_COMPILER_ID MATCHES "Clang")
  target_compile_options(bulwark_strict INTERFACE -Wcomma)
endif()

# Hardening: applies to every target in the tree.
add_compile_options(-fstack-protector-strong -fstack-clash-protection)
if(NOT ENABLE_ASAN AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  add_compile_definitions(_FORTIFY_SOURCE=2)
endif()
add_link_options(-Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed)
