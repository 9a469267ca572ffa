-- ecs/init.lua - the first chunk of the Lua half of the `ecs` module.
--
-- The Lua half is the chunks of bindings/lua/ecs/, embedded at build time
-- (bindings/embed.cmake) and run in this order by luaopen_ecs
-- (bindings/lecs.c), each loaded as "=[ecs.<name>]":
--   init    M's values from the C half, M's computed fields, shared shims
--   check   the argument checker every chunk raises misuse through
--   log     ecs.log, and the progress line of ecs.parallel
--   tasks   the task scheduler: spawn, join, run, sleep, pcall, I.await
--   parallel ecs.parallel: a pool of tasks over a list
--   api     call, client, configure, credentials, balance, retry
--   fleet   instances, classify, reactivatable, wait_for, reactivate
--   audit   ecs.audit
--   sim     the Lua part of ecs.sim (I.sim_setup)
-- Each is called as chunk(core, M, I): core is the C half's table, M the
-- module table, I the helpers the chunks share (I.argerror, I.call, ...).
-- No chunk sets a global. They run unchanged on Lua 5.1-5.4 and LuaJIT 2.1
-- (tests/lua/portability.lua): no //, bitwise operators, goto or
-- attributes; table.pack and table.unpack only through I.pack and I.unpack.
-- PUC Lua 5.1 cannot yield across pcall: the module's own protected calls
-- around code that waits go through I.xpcall / I.pcall (tasks.lua), which
-- run it in a coroutine of its own there.
local core, M, I = ...

M.version = core.version
M.json = core.json
M.null = core.json.null
M.sign = core.sign
M.now = core.now
M.error = core.error

I.unpack = table.unpack or unpack -- luacheck: ignore (5.1's global)
I.pack = table.pack or function(...) return { n = select("#", ...), ... } end

-- ecs.dry_run is read from the default client; ecs.sim is its own module
-- (ecs/sim.so), required on first use.
setmetatable(M, {
  __index = function(_, k)
    if k == "dry_run" then return core.client_info(nil).dry_run end
    if k == "sim" then
      local sim = require("ecs.sim")
      rawset(M, "sim", sim)
      return sim
    end
  end,
})
