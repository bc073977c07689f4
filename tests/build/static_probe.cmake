file(REMOVE_RECURSE ${OUT})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${OUT} -DBUILD_STATIC=ON -DBUILD_TESTING=OFF
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(REMOVE_RECURSE ${OUT})
if(rc EQUAL 0)
  message(FATAL_ERROR "configure with BUILD_STATIC=ON succeeded without static archives")
endif()
if(NOT err MATCHES "static archives are missing" OR NOT err MATCHES "libcjson.a")
  message(FATAL_ERROR "unclear error:\n${err}")
endif()
message(STATUS "BUILD_STATIC refused with a clear message: 1 passed, 0 failed")
