-- wrk: the exercise's closed loop on one connection per thread: create a product with a new
-- id, get it, order one, get the order; every answer must be 2xx (wrk counts the rest).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local step, loops, product, order = 0, 0, nil, nil
local json = { ["Content-Type"] = "application/json" }

function init(args)
  prefix = "loop" .. os.time() .. "-" .. tid .. "-"
end

function request()
  if step == 0 then
    loops = loops + 1
    product = prefix .. loops
    return wrk.format("POST", "/products-orders/products", json, '{"id":"' .. product ..
      '","title":"Bench","passenger_capacity":10,"maximum_speed":5,"in_stock":10}')
  elseif step == 1 then
    return wrk.format("GET", "/products-orders/products/" .. product)
  elseif step == 2 then
    return wrk.format("POST", "/products-orders/orders", json, '{"order_details":[{"product_id":"' .. product ..
      '","price":"100000.99","quantity":1}]}')
  else
    return wrk.format("GET", "/products-orders/orders/" .. (order or "0"))
  end
end

function response(status, headers, body)
  if step == 2 then order = body:match('"id":(%d+)') end
  step = (step + 1) % 4
end
