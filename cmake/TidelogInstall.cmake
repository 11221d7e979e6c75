# Every install rule of Tidelog (included last from the root CMakeLists.txt):
#   bin/tidelogd
#   include/tidelog/*.h                        the engine's public headers
#   lib/libtidelog_engine.a, libtidelog_storage.a
#   lib/cmake/Tidelog/                         find_package(Tidelog): Tidelog::engine
#   lib/systemd/system/tidelogd.service, lib/sysusers.d/tidelog.conf
#   share/doc/tidelog/examples/tidelogd.toml   the example config, every key
#
# The engine is a static library that links tidelog_storage privately, so the
# export set carries both: Tidelog::engine's link interface names
# $<LINK_ONLY:Tidelog::storage>, whose own interface brings RocksDB,
# FlatBuffers and Threads; OpenSSL::Crypto comes from the engine.
# TidelogConfig.cmake finds those with find_dependency. Storage's headers are
# not installed: its include directories reach only the build tree. (With
# -DBUILD_SHARED_LIBS=ON both libraries are shared and the same export works;
# -DCMAKE_POSITION_INDEPENDENT_CODE=ON makes the static ones linkable into a
# consumer's shared library.)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TIDELOG_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/Tidelog"
    CACHE STRING "Where TidelogConfig.cmake goes, relative to the prefix")
# systemd looks in <prefix>/lib/systemd/system (/usr, /usr/local), never in a
# multiarch lib directory.
set(TIDELOG_INSTALL_SYSTEMDUNITDIR "lib/systemd/system"
    CACHE STRING "Where tidelogd.service goes, relative to the prefix")
set(TIDELOG_INSTALL_SYSUSERSDIR "lib/sysusers.d"
    CACHE STRING "Where the sysusers.d entry for the tidelog user goes, relative to the prefix")

# The targets name their include directories as absolute source and build
# paths, which an export must not carry: keep each for the build tree only
# ($<BUILD_INTERFACE:...>), then add what an installed consumer needs.
function(tidelog_build_tree_only_includes target)
  foreach(property INTERFACE_INCLUDE_DIRECTORIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES)
    get_target_property(dirs ${target} ${property})
    if(NOT dirs)
      continue()
    endif()
    set(wrapped "")
    foreach(dir IN LISTS dirs)
      if(dir MATCHES "^\\$<")
        list(APPEND wrapped "${dir}")  # already a generator expression
      else()
        list(APPEND wrapped "$<BUILD_INTERFACE:${dir}>")
      endif()
    endforeach()
    set_property(TARGET ${target} PROPERTY ${property} "${wrapped}")
  endforeach()
endfunction()

tidelog_build_tree_only_includes(tidelog_storage)
tidelog_build_tree_only_includes(tidelog_engine)
target_include_directories(tidelog_engine INTERFACE
                           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
# The public headers are C++20 (std::span, designated initializers in use).
target_compile_features(tidelog_engine PUBLIC cxx_std_20)
set_target_properties(tidelog_engine PROPERTIES EXPORT_NAME engine)
set_target_properties(tidelog_storage PROPERTIES EXPORT_NAME storage)

install(TARGETS tidelogd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tidelog_engine tidelog_storage
  EXPORT TidelogTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Whatever headers engine/include/tidelog holds (new ones included).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/engine/include/tidelog
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT TidelogTargets
  NAMESPACE Tidelog::
  DESTINATION ${TIDELOG_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/TidelogConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/TidelogConfig.cmake
  INSTALL_DESTINATION ${TIDELOG_INSTALL_CMAKEDIR})
# 0.x: a new minor version may break the API, so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/TidelogConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/TidelogConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/TidelogConfigVersion.cmake
  DESTINATION ${TIDELOG_INSTALL_CMAKEDIR})

# The unit in packaging/ names the Debian paths (/usr/bin/tidelogd); the
# installed copy names this build's configured prefix.
file(READ ${PROJECT_SOURCE_DIR}/packaging/tidelogd.service _tidelog_unit)
string(REPLACE "ExecStart=/usr/bin/tidelogd "
               "ExecStart=${CMAKE_INSTALL_FULL_BINDIR}/tidelogd " _tidelog_unit "${_tidelog_unit}")
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packaging/tidelogd.service
     CONTENT "${_tidelog_unit}" @ONLY)
unset(_tidelog_unit)
set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/packaging/tidelogd.service)
install(FILES ${PROJECT_BINARY_DIR}/packaging/tidelogd.service
  DESTINATION ${TIDELOG_INSTALL_SYSTEMDUNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/tidelog.sysusers
  DESTINATION ${TIDELOG_INSTALL_SYSUSERSDIR}
  RENAME tidelog.conf)
# Documentation, not a live config: the unit reads /etc/tidelog/tidelogd.toml,
# which the administrator (or a distribution package's conffile) provides,
# e.g. a copy of this file.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/tidelogd.toml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
