-- wrk: POST /area-mode/events/ with batches of 1,000 LOGINs of users never seen before (ids
-- unique per thread, request and item), so every batch inserts 1,000 session rows.
local modes = {"Battle Royale", "Duo", "Solo", "Squad", "Team Deathmatch"}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tag", string.format("%d-%d", os.time(), threads))
end
local counter = 0
request = function()
  counter = counter + 1
  local items = {}
  for i = 1, 1000 do
    items[i] = string.format('{"area_code":%d,"multiplayer_mode":"%s","user_id":"new-%s-%d-%d","events_name":"LOGIN"}',
      100 + (i % 19), modes[(i % #modes) + 1], tag, counter, i)
  end
  return wrk.format("POST", "/area-mode/events/", {["Content-Type"] = "application/json"},
    '{"items":[' .. table.concat(items, ",") .. ']}')
end
