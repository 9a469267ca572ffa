-- Runs busted under whichever Lua loads this file (ecsrun or lua5.4).
require 'busted.runner'({ standalone = false })
