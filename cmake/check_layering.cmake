# The layering check (run by the build, fw_engine_layering, and by ctest Layering.*): every #include "module/..." in
# ENGINE_DIR/**/*.{hpp,cpp} names a module of a layer below the including module's
# (FW_ENGINE_LAYERS, cmake/engine_layers.cmake). Fails listing file:line, the edge and why.
# Layering.IncludesOfTheSameLayerOrAboveAreNamed runs it on tests/layering/engine, which breaks the rule on purpose.
cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/engine_layers.cmake")
if(NOT ENGINE_DIR)
  message(FATAL_ERROR "usage: cmake -DENGINE_DIR=<engine folder> -P cmake/check_layering.cmake")
endif()
fw_engine_layering_problems("${ENGINE_DIR}" problems)
if(problems)
  # NOTICE prints the lines as they are (FATAL_ERROR would rewrap them).
  message(NOTICE "${problems}")
  message(FATAL_ERROR "includes above break the engine's layers (cmake/engine_layers.cmake)")
endif()
list(LENGTH FW_ENGINE_LAYERS layers)
message(STATUS "every engine module includes only the layers below it (${layers} layers)")
