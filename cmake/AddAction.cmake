# add_action(NAME tool SOURCES a.c b.c [MAIN main.c] [LIBS ...])
#
# Builds <tool>_lib (a static library of the tool's logic, which tests link
# without forking) and the <tool> executable from main.c.
function(add_action)
  cmake_parse_arguments(A "" "NAME;MAIN" "SOURCES;LIBS" ${ARGN})
  if(NOT A_MAIN)
    set(A_MAIN main.c)
  endif()
  string(REPLACE "-" "_" _lib "${A_NAME}_lib")
  add_library(${_lib} STATIC ${A_SOURCES})
  target_include_directories(${_lib} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${_lib} PUBLIC bulwark_common ${A_LIBS}
    PRIVATE bulwark_strict)
  add_executable(${A_NAME} ${A_MAIN})
  target_link_libraries(${A_NAME} PRIVATE ${_lib} bulwark_strict)
  set_target_properties(${A_NAME} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  install(TARGETS ${A_NAME} RUNTIME DESTINATION bin)
endfunction()
