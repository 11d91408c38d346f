# The engine's modules (the folders below engine/) in layers, lowest first. A module may
# include and link only modules of the layers below its own: never one of its own layer, never
# one above. engine/CMakeLists.txt makes one library per module from this list
# (filmwriter_<module>, linked to the layers below it); the test
# Layering.ModulesIncludeOnlyTheLayersBelowThem (cmake/check_layering.cmake) reads every
# engine/**/*.{hpp,cpp} and fails on an #include "module/..." that breaks it.
# engine/base is below all of them (its own library, filmwriter_base, shared with the drivers).
# Why each module is where it is: docs/architecture.md, "Layers".
set(FW_ENGINE_LAYERS
  "core"                    # error kinds and exit codes, libvips errors
  "model"                   # value types: the job, page settings, limits, film format, placement
  "text data ingest color"  # fonts and shaping; data frames; page sources; density and ICC
  "raster"                  # page -> frame code values
  "film"                    # format reader, placement, the reel planner, target templates and
                            # fields, blip track and separation geometry
  "job catalog"             # the TOML job reader; index, journal, the catalog
  "render mets"             # a planned frame's pixels: pages, targets, substitutes, blip tracks,
                            # separation strips, frame marks; the METS package
  "pipeline qc"             # run a plan; verify the film (independent of each other)
  "ops"                     # queue folder, lock, child processes, logs
  "api")                    # one call per operation

# Folders of engine/ that are not modules of the list: below every module.
set(FW_ENGINE_BELOW_ALL base)

# Sets `result_var` in the caller to the layering problems of the engine sources in
# `engine_dir`, one line each ("engine/raster/raster.hpp:11: raster includes film
# (film/plan.hpp): film is not below raster"); empty when there are none.
function(fw_engine_layering_problems engine_dir result_var)
  set(index 0)
  foreach(layer IN LISTS FW_ENGINE_LAYERS)
    string(REPLACE " " ";" layer_modules "${layer}")
    foreach(module IN LISTS layer_modules)
      set(layer_of_${module} ${index})
    endforeach()
    math(EXPR index "${index} + 1")
  endforeach()

  set(problems "")
  file(GLOB folders LIST_DIRECTORIES true RELATIVE "${engine_dir}" "${engine_dir}/*")
  foreach(folder IN LISTS folders)
    if(IS_DIRECTORY "${engine_dir}/${folder}" AND NOT DEFINED layer_of_${folder}
       AND NOT folder IN_LIST FW_ENGINE_BELOW_ALL)
      string(APPEND problems "engine/${folder}: a module in no layer of FW_ENGINE_LAYERS "
                             "(cmake/engine_layers.cmake)\n")
    endif()
  endforeach()

  file(GLOB_RECURSE sources RELATIVE "${engine_dir}" "${engine_dir}/*.hpp" "${engine_dir}/*.cpp")
  list(SORT sources)
  foreach(source IN LISTS sources)
    string(REGEX MATCH "^[^/]+" module "${source}")
    if(NOT DEFINED layer_of_${module})
      continue()  # base, or a folder reported above
    endif()
    file(STRINGS "${engine_dir}/${source}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS includes)
      if(NOT line MATCHES "#[ \t]*include[ \t]*\"(([^\"/]+)/[^\"]*)\"")
        continue()
      endif()
      set(header "${CMAKE_MATCH_1}")
      set(used "${CMAKE_MATCH_2}")
      if(used STREQUAL module OR used IN_LIST FW_ENGINE_BELOW_ALL
         OR NOT IS_DIRECTORY "${engine_dir}/${used}")
        continue()  # its own module, base, or outside the engine (hal/, the drivers)
      endif()
      if(NOT DEFINED layer_of_${used})
        set(why "${used} is in no layer")
      elseif(layer_of_${used} EQUAL layer_of_${module})
        set(why "${used} is in the same layer as ${module}")
      elseif(layer_of_${used} GREATER layer_of_${module})
        set(why "${used} is above ${module}")
      else()
        continue()
      endif()
      # The line number, only for a line that breaks the rule.
      file(READ "${engine_dir}/${source}" text)
      string(FIND "${text}" "${line}" at)
      string(SUBSTRING "${text}" 0 ${at} before)
      string(REGEX MATCHALL "\n" newlines "${before}")
      list(LENGTH newlines line_number)
      math(EXPR line_number "${line_number} + 1")
      string(APPEND problems
             "engine/${source}:${line_number}: ${module} includes ${used} (${header}): ${why}\n")
    endforeach()
  endforeach()
  set(${result_var} "${problems}" PARENT_SCOPE)
endfunction()
