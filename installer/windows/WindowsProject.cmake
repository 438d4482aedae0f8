# Read by the first project() of the product's own CMake when build-msi.sh cross-builds it
# for Windows (CMAKE_PROJECT_TOP_LEVEL_INCLUDES).

# The top-level CMakeLists asks Poco for Crypto (secrets on Linux). The Windows dependencies
# have neither it nor NetSSL (no OpenSSL: libcurl, SMTP included, uses Schannel, secrets are
# sealed with DPAPI, and src/secrets leaves the certificate credential out without
# Poco::Crypto), so those two components are not asked for here.
# A dependency provider is called with the method first (FIND_PACKAGE), then the package.
# Poco 1.11's PocoUtilConfig.cmake asks for PocoJSON whatever Poco was built with; build-deps.sh
# builds it without JSON, and Util then holds none (POCO_UTIL_NO_JSONCONFIGURATION), so that
# request is answered as met instead of failing the configure.
macro(acd_windows_find_package acd_method acd_package)
    set(acd_find_args ${ARGN})
    if("${acd_package}" STREQUAL "Poco")
        list(REMOVE_ITEM acd_find_args NetSSL Crypto)
    endif()
    if("${acd_package}" STREQUAL "PocoJSON")
        set(PocoJSON_FOUND TRUE)
    else()
        find_package(${acd_package} ${acd_find_args} BYPASS_PROVIDER)
    endif()
endmacro()
cmake_language(SET_DEPENDENCY_PROVIDER acd_windows_find_package SUPPORTED_METHODS FIND_PACKAGE)

# POCO_SERVER_MAIN defines wmain on Windows; mingw's startup code calls it only with -municode.
add_link_options(-municode)
