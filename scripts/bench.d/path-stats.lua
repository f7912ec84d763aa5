-- wrk: GET /path-stats/api/<one of 100,000 paths>, so ZINCRBY touches many members.
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/path-stats/api/bench/" .. math.random(1, 100000) .. "/")
end
