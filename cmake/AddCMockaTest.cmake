# add_cmocka_test(NAME test_x SOURCES x.c LIBS lib... [LABELS l])
function(add_cmocka_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} PkgConfig::CMOCKA
    bulwark_warnings)
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}
    ${PROJECT_SOURCE_DIR}/tests/helpers)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES
    LABELS "${T_LABELS}"
    ENVIRONMENT "BULWARK_BIN=${CMAKE_BINARY_DIR}/bin;BULWARK_SRC=${PROJECT_SOURCE_DIR};BULWARK_HELPERS=${PROJECT_SOURCE_DIR}/tests/helpers")
endfunction()
