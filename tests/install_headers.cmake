# ctest InstallHeaders.OnlyPublicHeadersAreInstalled: installs the `headers` component of the
# build in BUILD_DIR into PREFIX and checks the public include set (CMakeLists.txt,
# FW_PRIVATE_HEADERS): every installed header's quoted includes are installed too, none
# includes a library whose types are private to the engine (toml++, HarfBuzz, FreeType,
# SQLite, libdmtx, libexif, libtiff, OpenSSL, utf8proc), and no private header is installed.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --component headers
                        --prefix "${PREFIX}"
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install --component headers failed:\n${output}")
endif()
set(root "${PREFIX}/include/filmwriter")
file(GLOB_RECURSE headers RELATIVE "${root}" "${root}/*.hpp")
list(LENGTH headers count)
set(problems "")
foreach(expected engine/pipeline/pipeline.hpp engine/job/job.hpp drivers/hal/recorder.hpp
                 drivers/builtin.hpp base/error.hpp)
  if(NOT "${expected}" IN_LIST headers)
    string(APPEND problems "  ${expected}: a public header, not installed\n")
  endif()
endforeach()
string(REPLACE "|" ";" private_headers "${PRIVATE_HEADERS}")
foreach(private IN LISTS private_headers)
  if("${private}" IN_LIST headers)
    string(APPEND problems "  ${private}: private, but installed\n")
  endif()
endforeach()
set(forbidden "toml\\+\\+/|hb\\.h|hb-[a-z]+\\.h|ft2build\\.h|freetype/|sqlite3\\.h|dmtx\\.h|libexif/|tiffio\\.h|openssl/|utf8proc\\.h")
foreach(header IN LISTS headers)
  file(STRINGS "${root}/${header}" includes REGEX "^[ \t]*#[ \t]*include")
  foreach(line IN LISTS includes)
    if(line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
      set(target "${CMAKE_MATCH_1}")
      if(NOT EXISTS "${root}/engine/${target}" AND NOT EXISTS "${root}/drivers/${target}"
         AND NOT EXISTS "${root}/${target}")
        string(APPEND problems "  ${header}: includes \"${target}\", which is not installed\n")
      endif()
    elseif(line MATCHES "#[ \t]*include[ \t]*<(${forbidden})")
      string(APPEND problems "  ${header}: includes a private library: ${line}\n")
    endif()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "the installed include set (${count} headers) is not public-only:\n"
                      "${problems}")
endif()
message(STATUS "${count} public headers installed, none private")
