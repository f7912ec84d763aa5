-- wrk: mixed traffic over every feature, each request independent of the others (many
-- connections per thread). Every request is expected to answer 2xx.
local json = { ["Content-Type"] = "application/json" }
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  math.randomseed(os.time() + tid)
  prefix = "soak" .. os.time() .. "-" .. tid .. "-"
end

local requests = {
  function() return wrk.format("GET", "/path-stats/api/soak/" .. math.random(1, 1000) .. "/") end,
  function() return wrk.format("GET", "/path-stats/stats/?limit=10") end,
  function() return wrk.format("GET", "/area-mode/stats/?area_code=" .. math.random(100, 109)) end,
  function()
    local user = "soak-" .. math.random(1, 5000)
    local event = (math.random() < 0.5) and "LOGIN" or "LOGOUT"
    return wrk.format("POST", "/area-mode/events", json, '{"items":[{"area_code":' .. math.random(100, 109) ..
      ',"multiplayer_mode":"Duo","user_id":"' .. user .. '","events_name":"' .. event .. '"}]}')
  end,
  function() return wrk.format("GET", "/user-points/") end,
  function() return wrk.format("GET", "/achievement-level/users/" .. math.random(1, 200)) end,
  function() return wrk.format("GET", "/achievement-level/users?level=gold") end,
  function()
    counter = counter + 1
    return wrk.format("POST", "/products-orders/products", json, '{"id":"' .. prefix .. counter ..
      '","title":"Soak","passenger_capacity":1,"maximum_speed":1,"in_stock":5}')
  end,
  function() return wrk.format("GET", "/products-orders/products/soak-stock") end,
  function() return wrk.format("GET", "/products-orders/products?limit=50") end,
  function()
    return wrk.format("POST", "/products-orders/orders", json,
      '{"order_details":[{"product_id":"soak-stock","price":"9.99","quantity":1}]}')
  end,
  function() return wrk.format("GET", "/products-orders/orders/" .. soak_order) end,
}

function request()
  return requests[math.random(1, #requests)]()
end
