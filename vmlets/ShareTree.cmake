# Lays out vvm's share/vvm directory in the build tree as it will be installed (InstallTree.h):
#   SHARE/rules.vc          the global rules, copied from SOURCE/rules.vc
#   SHARE/vmlets/*.vml      the VMlets that ship with vvm, copied from SOURCE/shipped
#   SHARE/vmlets/HASHES     their SHA-256 hashes, which pin them (sha256sum's format)
# Run at build time: cmake -DSOURCE=vmlets-source-dir -DSHARE=build/share/vvm -P ShareTree.cmake
# A VMlet removed from SOURCE/shipped is removed from SHARE/vmlets too, so the hash list and the
# directory always name the same files.
foreach(var SOURCE SHARE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "ShareTree.cmake needs -D${var}=...")
  endif()
endforeach()

file(MAKE_DIRECTORY ${SHARE}/vmlets)
file(COPY_FILE ${SOURCE}/rules.vc ${SHARE}/rules.vc)

file(GLOB stale ${SHARE}/vmlets/*.vml)
if(stale)
  file(REMOVE ${stale})
endif()
file(GLOB shipped ${SOURCE}/shipped/*.vml)
list(SORT shipped)
set(list "# generated from vmlets/shipped by vmlets/ShareTree.cmake at build time -- do not edit\n")
string(APPEND list "# SHA-256 of each VMlet shipped in this directory; vvm trusts a VMlet here only if it matches.\n")
foreach(vml ${shipped})
  get_filename_component(name ${vml} NAME)
  file(COPY_FILE ${vml} ${SHARE}/vmlets/${name})
  file(SHA256 ${vml} hash)
  string(APPEND list "${hash}  ${name}\n")
endforeach()
file(WRITE ${SHARE}/vmlets/HASHES "${list}")
