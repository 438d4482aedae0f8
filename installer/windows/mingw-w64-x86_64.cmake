# Cross-compiling for 64-bit Windows with Debian's mingw-w64 (the -posix thread model,
# which std::thread and Poco need). Used for the dependencies and for the product.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(ACD_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${ACD_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${ACD_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${ACD_MINGW_TRIPLET}-windres)
set(CMAKE_MC_COMPILER ${ACD_MINGW_TRIPLET}-windmc)
set(CMAKE_AR ${ACD_MINGW_TRIPLET}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${ACD_MINGW_TRIPLET}-ranlib CACHE FILEPATH "")

# Poco includes <Winsock2.h> and <Iphlpapi.h>; mingw's headers are lower case.
set(CMAKE_C_STANDARD_INCLUDE_DIRECTORIES ${CMAKE_CURRENT_LIST_DIR}/include)
set(CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES ${CMAKE_CURRENT_LIST_DIR}/include)

# One self-contained exe: no libstdc++/libgcc/winpthread DLLs to ship beside it.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# The dependencies are static libraries installed under ACD_WINDOWS_DEPS (given with -D by
# build-deps.sh and build-msi.sh); programs still come from the host.
set(ACD_WINDOWS_DEPS "" CACHE PATH "prefix of the cross-built dependencies")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ACD_WINDOWS_DEPS)
set(CMAKE_FIND_ROOT_PATH /usr/${ACD_MINGW_TRIPLET} ${ACD_WINDOWS_DEPS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
