-- wrk: POST /area-mode/events/ with 1,000-event batches over 10,000 users and 19 areas,
-- rotating through 64 pre-built bodies so sessions keep changing.
math.randomseed(42)
local bodies = {}
local modes = {"Battle Royale", "Duo", "Solo", "Squad", "Team Deathmatch"}
for b = 1, 64 do
  local items = {}
  for i = 1, 1000 do
    local name = (math.random() < 0.6) and "LOGIN" or "LOGOUT"
    items[i] = string.format('{"area_code":%d,"multiplayer_mode":"%s","user_id":"user-%d","events_name":"%s"}',
      math.random(101, 119), modes[math.random(1, #modes)], math.random(1, 10000), name)
  end
  bodies[b] = '{"items":[' .. table.concat(items, ",") .. ']}'
end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/area-mode/events/", {["Content-Type"] = "application/json"}, bodies[(counter % #bodies) + 1])
end
