# Every dependency comes through pkg-config, from Debian's -dev packages
# (or Alpine's, for release-static).
find_package(PkgConfig REQUIRED)

if(BUILD_STATIC)
  set(PKG_CONFIG_USE_STATIC_LIBS ON)
  set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
endif()

pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(EXPAT REQUIRED IMPORTED_TARGET expat)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
if(BUILD_TESTING)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()

if(BUILD_STATIC)
  # Say which archive is missing instead of letting the linker fail later
  # with an undefined symbol three screens down.
  set(_missing "")
  foreach(_dep LIBCRYPTO YAML ZLIB EXPAT CJSON CURL)
    foreach(_lib ${${_dep}_STATIC_LIBRARIES})
      if(_lib MATCHES "^(c|m|dl|pthread|rt)$")
        continue()
      endif()
      find_library(_found_${_lib} NAMES lib${_lib}.a
        HINTS ${${_dep}_STATIC_LIBRARY_DIRS} NO_CACHE)
      if(NOT _found_${_lib})
        list(APPEND _missing "lib${_lib}.a (for ${_dep})")
      endif()
    endforeach()
  endforeach()
  if(_missing)
    list(REMOVE_DUPLICATES _missing)
    string(REPLACE ";" "\n  " _list "${_missing}")
    message(FATAL_ERROR "BUILD_STATIC=ON but these static archives are "
      "missing:\n  ${_list}\nBuild release-static in an Alpine job "
      "(see docs/release.md); Debian 12 ships no libcjson.a and its "
      "libcurl.a needs archives Debian does not ship.")
  endif()
  add_link_options(-static)
endif()
