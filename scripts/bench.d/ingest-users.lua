-- wrk: POST /area-mode/events/ with 1,000-event batches (60% LOGIN) of users "g-<n>", n drawn
-- from 1..USERS (environment), in 19 areas.
local users = tonumber(os.getenv("USERS") or "10000")
local modes = {"Battle Royale", "Duo", "Solo", "Squad", "Team Deathmatch"}
request = function()
  local items = {}
  for i = 1, 1000 do
    local name = (math.random() < 0.6) and "LOGIN" or "LOGOUT"
    items[i] = string.format('{"area_code":%d,"multiplayer_mode":"%s","user_id":"g-%d","events_name":"%s"}',
      math.random(100, 118), modes[math.random(1, #modes)], math.random(1, users), name)
  end
  return wrk.format("POST", "/area-mode/events/", {["Content-Type"] = "application/json"},
    '{"items":[' .. table.concat(items, ",") .. ']}')
end
