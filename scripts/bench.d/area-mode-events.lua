-- wrk: POST /area-mode/events/ with batches of BATCH events (1,000) over USERS repeating users
-- (10,000) and 19 areas, rotating through BODIES pre-built bodies (64) so sessions keep
-- changing. The three are read from the environment.
local size = tonumber(os.getenv("BATCH") or "1000")
local users = tonumber(os.getenv("USERS") or "10000")
local count = tonumber(os.getenv("BODIES") or "64")
math.randomseed(42)
local bodies = {}
local modes = {"Battle Royale", "Duo", "Solo", "Squad", "Team Deathmatch"}
for b = 1, count do
  local items = {}
  for i = 1, size do
    local name = (math.random() < 0.6) and "LOGIN" or "LOGOUT"
    items[i] = string.format('{"area_code":%d,"multiplayer_mode":"%s","user_id":"user-%d","events_name":"%s"}',
      math.random(101, 119), modes[math.random(1, #modes)], math.random(1, users), name)
  end
  bodies[b] = '{"items":[' .. table.concat(items, ",") .. ']}'
end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/area-mode/events/", {["Content-Type"] = "application/json"}, bodies[(counter % #bodies) + 1])
end
