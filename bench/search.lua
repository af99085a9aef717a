-- wrk script for the product-search benchmark (the performance targets).
--
-- Every request is GET /products/search?q=..., rotating through a fixed mix
-- of hit and miss queries in mixed case, so the server sees case-insensitive
-- matches, misses and multi-word queries. With BENCH_MIX=FILE in the
-- environment it rotates through that file's request paths instead, one a
-- line (the whole-catalog text and features mixes, from bench/mixes.py). The
-- ceiling and nginx ignore the
-- query and answer a constant body; they get the same requests so that the
-- request bytes on the wire are the same for every contender.
--
-- done() prints one line, "BENCH_RESULT {json}", with exact counts and the
-- latency percentiles from wrk's own histogram (microseconds); bench/run.sh
-- parses that line instead of wrk's rounded human-readable summary.

local queries = {
  "alpha",          -- hit: brand, 10 of the first 100 products
  "ELECTRONICS",    -- hit: category, upper case
  "zzz-none",       -- miss
  "Kappa%2099",     -- hit: "Product Kappa 99" only (space, URL-encoded)
  "pRoDuCt%20bEtA", -- hit: mixed case, multi-word
  "nothing-here",   -- miss
  "books",          -- hit: category, lower case
  "gAmMa",          -- hit: mixed case
  "QQQ",            -- miss, upper case
  "product",        -- hit: every product, the result list is capped by limit
}

local paths = {}
local mix = os.getenv("BENCH_MIX")
if mix and mix ~= "" then
  local file = assert(io.open(mix, "r"), "BENCH_MIX: cannot open " .. mix)
  for line in file:lines() do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  file:close()
  assert(#paths > 0, "BENCH_MIX: no request paths in " .. mix)
else
  for i, q in ipairs(queries) do
    paths[i] = "/products/search?q=" .. q
  end
end

-- Each wrk thread runs its own Lua state; start threads at different offsets
-- so that with several threads the mix still rotates evenly.
local thread_count = 0
local next_index = 1

function setup(thread)
  thread:set("next_index", thread_count % #paths + 1)
  thread_count = thread_count + 1
end

function request()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_timeout":%d,"errors_status":%d,' ..
    '"latency_mean_us":%.1f,"latency_max_us":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
