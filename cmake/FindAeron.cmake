# FindAeron: the official Aeron C client (aeronc.h + libaeron), for -DTP_AERON=system.
#
# Looks under AERON_ROOT (CMake variable or environment variable) first, then the system paths. AERON_ROOT may
# be an install prefix (include/aeron/aeronc.h, lib/libaeron.so) or an Aeron source tree with a CMake build
# (aeron-client/src/main/c/aeronc.h, and the libraries in build/lib, cppbuild/Release/lib or AERON_BUILD_DIR/lib).
# Set AERON_USE_STATIC=ON to prefer libaeron_static.a.
#
# Defines: Aeron_FOUND, AERON_INCLUDE_DIR, AERON_LIBRARY and the imported target Aeron::aeron.
if (NOT AERON_ROOT AND DEFINED ENV{AERON_ROOT})
    set(AERON_ROOT "$ENV{AERON_ROOT}")
endif ()

set(_aeron_hints)
if (AERON_ROOT)
    list(APPEND _aeron_hints "${AERON_ROOT}")
endif ()

find_path(AERON_INCLUDE_DIR aeronc.h
    HINTS ${_aeron_hints}
    PATH_SUFFIXES include/aeron include aeron-client/src/main/c)

if (AERON_USE_STATIC)
    set(_aeron_names aeron_static aeron)
else ()
    set(_aeron_names aeron aeron_static)
endif ()
set(_aeron_lib_hints)
foreach (h ${_aeron_hints})
    list(APPEND _aeron_lib_hints "${h}/lib" "${h}/build/lib" "${h}/cppbuild/Release/lib")
endforeach ()
if (AERON_BUILD_DIR)
    list(APPEND _aeron_lib_hints "${AERON_BUILD_DIR}/lib")
endif ()
find_library(AERON_LIBRARY NAMES ${_aeron_names} HINTS ${_aeron_lib_hints})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Aeron REQUIRED_VARS AERON_LIBRARY AERON_INCLUDE_DIR)

if (Aeron_FOUND AND NOT TARGET Aeron::aeron)
    find_package(Threads REQUIRED)
    add_library(Aeron::aeron UNKNOWN IMPORTED)
    set_target_properties(Aeron::aeron PROPERTIES
        IMPORTED_LOCATION "${AERON_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${AERON_INCLUDE_DIR}")
    # The static library needs what the shared one links itself.
    target_link_libraries(Aeron::aeron INTERFACE Threads::Threads ${CMAKE_DL_LIBS} m)
    if (AERON_LIBRARY MATCHES "\\.so")
        get_filename_component(_aeron_libdir "${AERON_LIBRARY}" DIRECTORY)
        set_property(TARGET Aeron::aeron APPEND PROPERTY INTERFACE_LINK_OPTIONS "LINKER:-rpath,${_aeron_libdir}")
    endif ()
endif ()
mark_as_advanced(AERON_INCLUDE_DIR AERON_LIBRARY)
