# Configure-time build identity: generates tidelog_build_version.h (the
# project version and, in a git checkout, the commit) for tidelogd --version.
# The commit is read when CMake configures, not at every build; pass
# -DTIDELOG_GIT_COMMIT=<id> to set it (a source tarball), or "" for none.
if(NOT DEFINED TIDELOG_GIT_COMMIT)
  set(TIDELOG_GIT_COMMIT "")
  find_package(Git QUIET)
  if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
    execute_process(
      COMMAND "${GIT_EXECUTABLE}" -C "${PROJECT_SOURCE_DIR}" rev-parse --short=12 HEAD
      OUTPUT_VARIABLE _tidelog_commit
      RESULT_VARIABLE _tidelog_git_result
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_tidelog_git_result EQUAL 0 AND _tidelog_commit MATCHES "^[0-9a-f]+$")
      set(TIDELOG_GIT_COMMIT "${_tidelog_commit}")
    endif()
    unset(_tidelog_commit)
    unset(_tidelog_git_result)
  endif()
endif()

# Include directory of the generated header: #include "tidelog_build_version.h".
set(TIDELOG_VERSION_INCLUDE_DIR "${PROJECT_BINARY_DIR}/version")
# configure_file rewrites the header only when its text changes.
configure_file("${CMAKE_CURRENT_LIST_DIR}/tidelog_build_version.h.in"
               "${TIDELOG_VERSION_INCLUDE_DIR}/tidelog_build_version.h" @ONLY)
