# add_fuzz_target(NAME fuzz_x SOURCES x.c LIBS ... CORPUS dir)
#
# With clang and ENABLE_FUZZING the target is a libFuzzer binary; otherwise
# it links tests/fuzz/standalone_main.c and replays its corpus as a ctest, so
# every compiler keeps the corpus passing (the libssh pattern).
if(ENABLE_FUZZING AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "ENABLE_FUZZING needs clang (libFuzzer)")
endif()

if(ENABLE_FUZZING)
  # Instrument all code for coverage feedback; only fuzz targets link the
  # libFuzzer main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

function(add_fuzz_target)
  cmake_parse_arguments(F "" "NAME;CORPUS" "SOURCES;LIBS" ${ARGN})
  if(ENABLE_FUZZING)
    add_executable(${F_NAME} ${F_SOURCES})
    target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    # New inputs go to a scratch dir (libFuzzer writes into the first
    # corpus dir); the checked-in corpus is only read.
    set(_out ${CMAKE_CURRENT_BINARY_DIR}/corpus-new/${F_NAME})
    add_test(NAME ${F_NAME} COMMAND sh -c
      "mkdir -p '${_out}' && exec \"$0\" -runs=20000 -max_total_time=30 -timeout=10 '${_out}' '${F_CORPUS}'"
      $<TARGET_FILE:${F_NAME}>)
  else()
    add_executable(${F_NAME} ${F_SOURCES}
      ${PROJECT_SOURCE_DIR}/tests/fuzz/standalone_main.c)
    add_test(NAME ${F_NAME} COMMAND ${F_NAME} ${F_CORPUS})
  endif()
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS} bulwark_warnings)
  target_include_directories(${F_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  set_tests_properties(${F_NAME} PROPERTIES LABELS fuzz)
endfunction()
