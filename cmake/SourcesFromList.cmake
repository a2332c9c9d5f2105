# gaia_sources_from_list(OUT DIR CMAKE_FILE MIN_COUNT): the .cc files a
# library's source list in DIR/CMAKE_FILE names (lines holding only a
# relative .cc path), as absolute paths. The standalone GPU builds
# (apps/*/cuda/standalone) read the full build's lists this way instead of
# keeping a second copy; fewer than MIN_COUNT found means the list changed
# form, which is an error.
function(gaia_sources_from_list out dir cmake_file min_count)
  file(STRINGS ${dir}/${cmake_file} _lines REGEX "^[ \t]+[A-Za-z0-9_/]+\\.cc[ \t]*$")
  set(_sources)
  foreach(_line IN LISTS _lines)
    string(STRIP "${_line}" _file)
    list(APPEND _sources ${dir}/${_file})
  endforeach()
  list(LENGTH _sources _count)
  if(_count LESS min_count)
    message(FATAL_ERROR "standalone: read ${_count} sources from ${dir}/${cmake_file}; "
                        "has its add_library(...) list changed form?")
  endif()
  set(${out} ${_sources} PARENT_SCOPE)
endfunction()
