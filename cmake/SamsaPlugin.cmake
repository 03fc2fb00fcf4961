# SPDX-License-Identifier: Apache-2.0
# samsa_add_plugin(NAME <kind-name> SOURCES ... [LIBS ...]
#                  [OUTPUT_DIR <dir>] [NO_INSTALL])
#
# OUTPUT_DIR puts the .so elsewhere than build/plugins (test fixtures use
# build/tests/plugins); NO_INSTALL skips the install rule and the
# SAMSA_PLUGIN_<NAME> build option (fixtures are always built with tests).
#
# Builds one plugin .so named exactly like its folder and manifest entry
# (e.g. storage-segment -> storage-segment.so). Only the entry point
# samsa_plugin_descriptor is exported; everything else stays hidden so plugins
# cannot capture each other's symbols. The SDK ships this same file
# (lib/cmake/Samsa/SamsaPlugin.cmake, loaded by find_package(Samsa)).
#
# Variables read (set by the top-level CMakeLists.txt in the tree, by
# SamsaConfig.cmake out of tree):
#   SAMSA_PLUGIN_BUILD_DIR           default OUTPUT_DIR
#   SAMSA_PLUGIN_INSTALL_DESTINATION install destination; relative paths
#                                    follow `cmake --install --prefix`
#   SAMSA_PLUGIN_INSTALL_DIR         used when the one above is unset
# The ABI headers come from the target samsa_abi (in the tree) or
# Samsa::abi (find_package(Samsa)).
function(samsa_add_plugin)
  cmake_parse_arguments(P "NO_INSTALL" "NAME;OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  if(NOT P_NO_INSTALL)
    string(TOUPPER "${P_NAME}" _opt)
    string(REPLACE "-" "_" _opt "${_opt}")
    option(SAMSA_PLUGIN_${_opt} "Build the ${P_NAME} plugin" ON)
    if(NOT SAMSA_PLUGIN_${_opt})
      return()
    endif()
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${SAMSA_PLUGIN_BUILD_DIR})
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
  endif()
  add_library(${P_NAME} MODULE ${P_SOURCES})
  set_target_properties(${P_NAME} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  if(TARGET samsa_abi)
    target_link_libraries(${P_NAME} PRIVATE samsa_abi)
  elseif(TARGET Samsa::abi)
    target_link_libraries(${P_NAME} PRIVATE Samsa::abi)
  endif()
  if(P_LIBS)
    target_link_libraries(${P_NAME} PRIVATE ${P_LIBS})
  endif()
  # Refuse undefined symbols at link time: a plugin links nothing from samsad.
  target_link_options(${P_NAME} PRIVATE -Wl,--no-undefined)
  if(NOT P_NO_INSTALL AND NOT SAMSA_TEST_FIXTURE)
    if(DEFINED SAMSA_PLUGIN_INSTALL_DESTINATION)
      set(_dest ${SAMSA_PLUGIN_INSTALL_DESTINATION})
    else()
      set(_dest ${SAMSA_PLUGIN_INSTALL_DIR})
    endif()
    install(TARGETS ${P_NAME} LIBRARY DESTINATION ${_dest})
  endif()
endfunction()
