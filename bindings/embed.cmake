# Turns a Lua source into a C header holding it as a string literal:
#   cmake -DIN=ecs.lua -DOUT=lecs_lua.h -DNAME=lecs_lua_ecs -P embed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" len)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" esc "${hex}")
# split into lines of 64 escaped bytes to keep the header readable for compilers
string(REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f]){64})" "\\1\"\n  \"" esc "${esc}")
file(WRITE "${OUT}" "/* generated from ${IN}; do not edit */\nstatic const char ${NAME}[] =\n  \"${esc}\";\n")
