# ecs_lua_module(<suffix> <outdir> <include dirs...>)
# Builds the binding against one Lua's headers: the static library
# ecs_binding<suffix> (what ecsrun links, for the Lua it embeds), the module
# <outdir>/ecs.so and the simulator module <outdir>/ecs/sim.so. Lua symbols
# come from the host interpreter; the version scripts export only luaopen_*.
# Lua 5.1, 5.2 and LuaJIT get the 5.3 C API from lua-compat53 (compat.h).
function(ecs_lua_module suffix outdir)
  set(b ecs_binding${suffix})
  add_library(${b} STATIC ${ECS_BINDING_SOURCES})
  add_dependencies(${b} lecs_lua_gen)
  target_include_directories(${b} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} PRIVATE ${LECS_GEN})
  target_include_directories(${b} SYSTEM PUBLIC ${ARGN})
  target_link_libraries(${b} PUBLIC ecs_runtime m)

  add_library(ecs_module${suffix} MODULE lecs_module.c)
  set_target_properties(ecs_module${suffix} PROPERTIES OUTPUT_NAME ecs PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${outdir}
    LINK_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/exports.map)
  target_link_libraries(ecs_module${suffix} PRIVATE ${b})
  target_link_options(ecs_module${suffix} PRIVATE
    -Wl,--version-script=${CMAKE_CURRENT_SOURCE_DIR}/exports.map)

  # ecs/sim.so next to ecs.so, where require "ecs.sim" finds it through the
  # same cpath entry (?.so); it is the only part linking libmicrohttpd.
  add_library(ecs_sim_module${suffix} MODULE lecs_sim.c)
  set_target_properties(ecs_sim_module${suffix} PROPERTIES OUTPUT_NAME sim PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${outdir}/ecs
    LINK_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/exports_sim.map)
  target_link_libraries(ecs_sim_module${suffix} PRIVATE ${b} ecs_sim)
  target_link_options(ecs_sim_module${suffix} PRIVATE
    -Wl,--version-script=${CMAKE_CURRENT_SOURCE_DIR}/exports_sim.map)
endfunction()

# ecs_lua_name(<v> <out>): the name of Lua <v>'s program and pkg-config
# module (5.1 -> lua5.1, luajit -> luajit).
function(ecs_lua_name v out)
  if(v STREQUAL "luajit")
    set(${out} luajit PARENT_SCOPE)
  else()
    set(${out} lua${v} PARENT_SCOPE)
  endif()
endfunction()

# Other Luas to build the module for, beside the one ecsrun embeds:
# "auto" (each of 5.1, 5.2, 5.3 and LuaJIT whose -dev package is installed),
# "none", or a list such as "5.1;luajit". build/lua-<v>/ecs.so each.
set(ECS_EXTRA_LUAS auto CACHE STRING "Other Luas to build ecs.so for (auto, none, or 5.1;5.2;5.3;luajit)")
set(ECS_LUA_MODULES "" CACHE INTERNAL "")
function(ecs_extra_lua_modules)
  set(want ${ECS_EXTRA_LUAS})
  if(want STREQUAL "auto")
    set(want 5.1 5.2 5.3 luajit)
    set(quiet QUIET)
  elseif(want STREQUAL "none")
    return()
  endif()
  find_path(ECS_COMPAT53_DIR compat-5.3.h PATHS /usr/include/lua5.1 /usr/include/lua5.2)
  set(built "")
  foreach(v ${want})
    ecs_lua_name(${v} pc)
    string(REPLACE "." "" tag "${v}")
    pkg_check_modules(ECS_L${tag} ${quiet} ${pc})
    if(NOT ECS_L${tag}_FOUND)
      if(NOT quiet)
        message(FATAL_ERROR "ECS_EXTRA_LUAS: ${pc} not found (Debian: lib${pc}-dev)")
      endif()
      continue()
    endif()
    set(inc ${ECS_L${tag}_INCLUDE_DIRS})
    if(NOT v STREQUAL "5.3")
      if(NOT ECS_COMPAT53_DIR)
        message(WARNING "Lua ${v}: compat-5.3.h not found (apt-get install lua-compat53-dev); skipped")
        continue()
      endif()
      list(APPEND inc ${ECS_COMPAT53_DIR})
    endif()
    ecs_lua_module(_${tag} ${PROJECT_BINARY_DIR}/lua-${v} ${inc})
    list(APPEND built ${v})
  endforeach()
  set(ECS_LUA_MODULES "${built}" CACHE INTERNAL "Other Luas ecs.so is built for")
  message(STATUS "ecs.so also built for: ${built}")
endfunction()

# luarocks make passes ECS_ROCK_LUA_INCDIR=$(LUA_INCDIR), the headers of the
# Lua the rock is for: the module is built against them (build/rock/ecs.so)
# and installed in its place (packaging/install.cmake).
set(ECS_ROCK_LUA_INCDIR "" CACHE PATH "luarocks: the include dir of the rock's Lua")
function(ecs_rock_lua_module)
  set(ECS_ROCK_LUA "" CACHE INTERNAL "")
  if(NOT ECS_ROCK_LUA_INCDIR)
    return()
  endif()
  if(NOT EXISTS ${ECS_ROCK_LUA_INCDIR}/lua.h)
    message(FATAL_ERROR "ECS_ROCK_LUA_INCDIR: no lua.h in ${ECS_ROCK_LUA_INCDIR}")
  endif()
  file(STRINGS ${ECS_ROCK_LUA_INCDIR}/lua.h num REGEX "define LUA_VERSION_NUM")
  string(REGEX MATCH "50[1-4]" num "${num}")
  set(inc ${ECS_ROCK_LUA_INCDIR})
  if(num LESS 503)
    find_path(ECS_COMPAT53_DIR compat-5.3.h PATHS /usr/include/lua5.1 /usr/include/lua5.2)
    if(NOT ECS_COMPAT53_DIR)
      message(FATAL_ERROR "Lua ${num} needs lua-compat53 (Debian: lua-compat53-dev)")
    endif()
    list(APPEND inc ${ECS_COMPAT53_DIR})
  endif()
  ecs_lua_module(_rock ${PROJECT_BINARY_DIR}/rock ${inc})
  set(ECS_ROCK_LUA ${num} CACHE INTERNAL "The rock's Lua (LUA_VERSION_NUM)")
endfunction()
