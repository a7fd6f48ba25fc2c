# Every dependency is a Debian package found here; nothing is vendored or downloaded.
# scripts/setup installs the packages. Each target links only what it needs.
find_package(PkgConfig REQUIRED)
pkg_check_modules(BDWGC REQUIRED IMPORTED_TARGET bdw-gc)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# libcurl (Debian libcurl4-openssl-dev) for vos/Fetch.cpp only: 7.80 for curl_url_strerror; from
# 7.85 on, the protocol lists are given as CURLOPT_PROTOCOLS_STR.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl>=7.80)
# libedit (Debian libedit-dev) for the console's line editing and history (cmd/ConsoleCommand.cpp).
pkg_check_modules(EDIT REQUIRED IMPORTED_TARGET libedit)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
# LLVM 16 (Debian llvm-16-dev) for the JIT backend only: libvvm-jit.so links it, vvm does not.
find_package(LLVM 16 REQUIRED CONFIG HINTS /usr/lib/llvm-16/lib/cmake/llvm)
separate_arguments(LLVM_DEFINITIONS_LIST NATIVE_COMMAND ${LLVM_DEFINITIONS})
if(VVM_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
endif()
