-- wrk script: send the requests of a file, one per line:
--     METHOD <TAB> PATH <TAB> HEADERS <TAB> BODY
-- HEADERS is "Name: value" pairs joined by "|" (or empty). Each wrk thread takes a disjoint
-- share of the lines (line i goes to thread i mod THREADS), so bodies that must be unique
-- (signed orders are replay-protected) are sent once; with CYCLE=1 a thread starts over at the
-- end of its share, otherwise it goes on with a cheap GET /v1/system/time and counts it as
-- "exhausted" (the caller then knows the file was too short).
--
--     wrk -t1 -c16 -d8s -s bench/requests.lua http://127.0.0.1:8080 -- FILE THREADS CYCLE
-- At the end it prints one JSON line with throughput, latency percentiles (us) and errors.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local reqs = {}
local idx = 0
local cycle = true
exhausted = 0
status_counts = {}

local function split_headers(s)
   local h = {}
   if s == nil or s == "" then return h end
   for pair in string.gmatch(s, "[^|]+") do
      local name, value = string.match(pair, "^%s*([^:]+):%s*(.*)$")
      if name then h[name] = value end
   end
   return h
end

function init(args)
   local file = args[1]
   local nthreads = tonumber(args[2] or "1")
   cycle = (args[3] or "1") == "1"
   local me = id or 0
   local i = 0
   for line in io.lines(file) do
      if i % nthreads == me then
         local method, path, headers, body = string.match(line, "^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
         if method then
            local h = split_headers(headers)
            if body ~= nil and body ~= "" then
               h["Content-Type"] = "application/json"
            else
               body = nil
            end
            table.insert(reqs, wrk.format(method, path, h, body))
         end
      end
      i = i + 1
   end
   if #reqs == 0 then
      table.insert(reqs, wrk.format("GET", "/v1/system/time"))
   end
end

local fallback = nil

function request()
   idx = idx + 1
   if idx > #reqs then
      if cycle then
         idx = 1
      else
         exhausted = exhausted + 1
         if fallback == nil then fallback = wrk.format("GET", "/v1/system/time") end
         return fallback
      end
   end
   return reqs[idx]
end

function response(status, headers, body)
   status_counts[status] = (status_counts[status] or 0) + 1
end

function done(summary, latency, requests)
   local statuses = {}
   local total_exhausted = 0
   for _, t in ipairs(threads) do
      local sc = t:get("status_counts")
      total_exhausted = total_exhausted + (t:get("exhausted") or 0)
      if sc then
         for k, v in pairs(sc) do statuses[k] = (statuses[k] or 0) + v end
      end
   end
   local parts = {}
   for k, v in pairs(statuses) do table.insert(parts, string.format('"%s":%d', k, v)) end
   io.write(string.format(
      '{"requests":%d,"duration_s":%.6f,"rps":%.2f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,' ..
      '"errors_timeout":%d,"exhausted":%d,"statuses":{%s}}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
      summary.errors.timeout, total_exhausted, table.concat(parts, ",")))
end
