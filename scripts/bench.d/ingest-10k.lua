-- wrk: POST /area-mode/events/ with 10,000-event batches over 100,000 repeating users and 19
-- areas, rotating through 8 pre-built bodies (about 1 MB each).
math.randomseed(43)
local bodies = {}
local modes = {"Battle Royale", "Duo", "Solo", "Squad", "Team Deathmatch"}
for b = 1, 8 do
  local items = {}
  for i = 1, 10000 do
    local name = (math.random() < 0.6) and "LOGIN" or "LOGOUT"
    items[i] = string.format('{"area_code":%d,"multiplayer_mode":"%s","user_id":"big-%d","events_name":"%s"}',
      math.random(101, 119), modes[math.random(1, #modes)], math.random(1, 100000), name)
  end
  bodies[b] = '{"items":[' .. table.concat(items, ",") .. ']}'
end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/area-mode/events/", {["Content-Type"] = "application/json"}, bodies[(counter % #bodies) + 1])
end
