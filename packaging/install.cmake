# Install rules and the Debian package (CPack), included by the top
# CMakeLists.txt. `cmake --install build --prefix P` puts:
#   P/bin/ecsrun, P/bin/ecs-sim
#   P/<libdir>/lua/5.4/ecs.so, .../ecs/sim.so  (where stock lua5.4 looks:
#       /usr/lib/<multiarch>/lua/5.4 for prefix /usr, /usr/local/lib/lua/5.4
#       for /usr/local; ECS_LUA_CMOD_DIR overrides, luarocks sets it)
#   P/<libdir>/lua/5.1, 5.2, 5.3/ecs.so (+ ecs/sim.so): the same module for
#       each other Lua it was built for (ECS_EXTRA_LUAS); LuaJIT loads the
#       5.1 one (LuaJIT's own build is installed only when 5.1's is not)
#   P/share/man/man1/ecsrun.1, ecs-sim.1
#   P/share/doc/ecsrun/  README.md, lua-api.md, ecs.lua (LuaCATS types),
#                        examples/ (the demo playbooks and fleets)
include(GNUInstallDirs)
string(REGEX MATCH "^[0-9]+\\.[0-9]+" ECS_LUA_ABI "${LUA_VERSION}")
set(ECS_LUA_CMOD_DIR "${CMAKE_INSTALL_LIBDIR}/lua/${ECS_LUA_ABI}" CACHE STRING
    "Where the ecs Lua C module is installed (relative to the prefix, or absolute)")

install(TARGETS ecsrun ecs-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(ECS_ROCK_LUA)
  # luarocks make: the module for the rock's Lua goes where luarocks says
  install(TARGETS ecs_module_rock LIBRARY DESTINATION ${ECS_LUA_CMOD_DIR})
  install(TARGETS ecs_sim_module_rock LIBRARY DESTINATION ${ECS_LUA_CMOD_DIR}/ecs)
else()
  install(TARGETS ecs_module LIBRARY DESTINATION ${ECS_LUA_CMOD_DIR})
  install(TARGETS ecs_sim_module LIBRARY DESTINATION ${ECS_LUA_CMOD_DIR}/ecs)
  foreach(v ${ECS_LUA_MODULES})
    string(REPLACE "." "" tag "${v}")
    set(abi ${v})
    if(v STREQUAL "luajit")
      if("5.1" IN_LIST ECS_LUA_MODULES)
        continue()
      endif()
      set(abi 5.1)
    endif()
    install(TARGETS ecs_module_${tag} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/lua/${abi})
    install(TARGETS ecs_sim_module_${tag} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/lua/${abi}/ecs)
  endforeach()
endif()
install(FILES docs/man/ecsrun.1 docs/man/ecs-sim.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES README.md docs/lua-api.md docs/fleet.md types/ecs.lua DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES scripts/reactivate_expired.lua scripts/reactivate_tagged.lua
              scripts/rehearse_throttled.lua
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY scripts/fleets DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The .deb: `cpack -G DEB` from a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr (so that the module lands in Debian's
# /usr/lib/<multiarch>/lua/5.4). Depends come from dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME ecsrun)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ecsrun maintainers <ecsrun@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Alibaba Cloud ECS API calls from Lua policy scripts")
set(CPACK_PACKAGE_DESCRIPTION
    "ecsrun runs Lua policy scripts that sign and send Alibaba Cloud ECS API\n"
    "requests concurrently. Includes the `ecs` module for lua5.4 and ecs-sim,\n"
    "an ECS simulator for rehearsals.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "lua5.4")
set(CPACK_STRIP_FILES ON)
include(CPack)
