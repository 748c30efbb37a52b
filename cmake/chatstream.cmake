# Project-wide compile settings, applied per target so that third-party code is untouched.

# Common definitions for every target that uses Asio/Beast.
add_library(chatstream_options INTERFACE)
target_compile_definitions(chatstream_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_BEAST_USE_STD_STRING_VIEW
  BOOST_ASIO_DISABLE_BOOST_COROUTINE
  BOOST_JSON_NO_LIB BOOST_URL_NO_LIB)
target_include_directories(chatstream_options INTERFACE ${PROJECT_SOURCE_DIR}/src)

if(CHATSTREAM_SANITIZE)
  set(CHATSTREAM_SAN_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(chatstream_options INTERFACE ${CHATSTREAM_SAN_FLAGS})
  target_link_options(chatstream_options INTERFACE ${CHATSTREAM_SAN_FLAGS})
endif()

# chatstream_target(<target>): warnings as errors on our own code, shared options.
function(chatstream_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 at -O2 reports Asio's coroutine frame allocator (its own operator new/delete pair)
    # as mismatched: a known false positive with C++20 coroutines.
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
    # GCC 12 at -O3 (a plain Release build) reports std::string's own concatenation inside
    # libstdc++ as overlapping (GCC bug 105329): still shown, no longer fatal.
    target_compile_options(${target} PRIVATE -Wno-error=restrict)
  endif()
  target_link_libraries(${target} PUBLIC chatstream_options)
endfunction()

# chatstream_add_library(<name> SOURCES ... DEPS ...)
function(chatstream_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  chatstream_target(${name})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# chatstream_add_test(<name> SOURCES ... DEPS ... [LABELS ...])
# A GoogleTest executable whose tests are discovered into ctest.
function(chatstream_add_test name)
  cmake_parse_arguments(ARG "ONE_THREAD" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  chatstream_target(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    CHATSTREAM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CHATSTREAM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 TEST_PREFIX "${name}." PROPERTIES LABELS "${labels}")
  if(ARG_ONE_THREAD)
    # Once more with the servers the tests start on one thread (no strands: util/serial.hpp).
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 TEST_PREFIX "${name}.one_thread."
      PROPERTIES LABELS "${labels}" ENVIRONMENT "CHATSTREAM_TEST_THREADS=1")
  endif()
endfunction()

# Add every direct subdirectory of <dir> that has a CMakeLists.txt (in sorted order).
function(chatstream_add_subdirs dir)
  file(GLOB children RELATIVE ${dir} ${dir}/*)
  list(SORT children)
  foreach(child ${children})
    if(IS_DIRECTORY ${dir}/${child} AND EXISTS ${dir}/${child}/CMakeLists.txt)
      add_subdirectory(${dir}/${child})
    endif()
  endforeach()
endfunction()
