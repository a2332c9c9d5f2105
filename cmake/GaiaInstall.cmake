# Install and export rules for the worker library (DESIGN.md §1.2): a custom
# ML program uses `find_package(gaia)` + `gaia::worker`, or pkg-config `gaia`.
#
# Installed (all in COMPONENT "devel", so `cmake --install <build> --component
# devel` needs only gaia_worker, gaia_common and gaia_proto built):
#   include/gaia/*.h                 public API
#   include/proto/gaia{,.grpc}.pb.h  generated code; private to the libraries
#                                    but their exported include dir names it
#   lib/libgaia_{worker,common,proto}.a
#   lib/cmake/gaia/gaia{Config,ConfigVersion,Targets}.cmake
#   lib/pkgconfig/gaia.pc
include(CMakePackageConfigHelpers)

set(GAIA_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gaia)

# Exported names: gaia::worker, gaia::common, gaia::proto.
set_target_properties(gaia_worker PROPERTIES EXPORT_NAME worker)
set_target_properties(gaia_common PROPERTIES EXPORT_NAME common)
set_target_properties(gaia_proto PROPERTIES EXPORT_NAME proto)
# gaia_proto's build-tree include dir is its generated folder; installed, the
# headers sit under include/proto/ (included as "proto/gaia.pb.h").
target_include_directories(gaia_proto PUBLIC
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

install(TARGETS gaia_worker gaia_common gaia_proto
  EXPORT gaiaTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT devel
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT devel
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/gaia
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT devel
  FILES_MATCHING PATTERN "*.h")

get_target_property(_gaia_proto_bin gaia_proto BINARY_DIR)
install(FILES
    ${_gaia_proto_bin}/gen/proto/gaia.pb.h
    ${_gaia_proto_bin}/gen/proto/gaia.grpc.pb.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/proto
  COMPONENT devel)

install(EXPORT gaiaTargets
  NAMESPACE gaia::
  FILE gaiaTargets.cmake
  DESTINATION ${GAIA_INSTALL_CMAKEDIR}
  COMPONENT devel)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/gaiaConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gaiaConfig.cmake
  INSTALL_DESTINATION ${GAIA_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/gaiaConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/gaiaConfig.cmake
    ${PROJECT_BINARY_DIR}/gaiaConfigVersion.cmake
  DESTINATION ${GAIA_INSTALL_CMAKEDIR}
  COMPONENT devel)

# The .pc file finds its prefix relative to itself, so `cmake --install
# --prefix <anywhere>` yields a working file.
file(RELATIVE_PATH GAIA_PC_PREFIX_FROM_PCDIR
  "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" GAIA_PC_PREFIX_FROM_PCDIR "${GAIA_PC_PREFIX_FROM_PCDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/gaia.pc.in ${PROJECT_BINARY_DIR}/gaia.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/gaia.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT devel)
