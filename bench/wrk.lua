-- The requests of bench/run, for wrk (-s bench/wrk.lua URL -- MODE ...):
--   get PATH             the same GET every time
--   byid IDS             GET /v1/recommendations/{id}, a random id of the file IDS each time
--   post IDS TOKEN       POST /v1/recommendations/{id}/updates with a status change, as a
--                        monitor (TOKEN), on a random recommendation of IDS
-- done() prints one line "BENCH key=value ..." for bench/run (latencies in microseconds).

local mode, ids, fixed, token
local statuses = {"not_started", "in_progress", "stalled", "partially_implemented",
                  "implemented", "not_implemented"}
local threads = {}

function setup(thread)
    thread:set("thread_no", #threads + 1)
    table.insert(threads, thread)
end

local function read_ids(file)
    local list = {}
    for line in io.lines(file) do
        if line ~= "" then list[#list + 1] = line end
    end
    assert(#list > 0, "no ids in " .. file)
    return list
end

function init(args)
    mode = args[1]
    -- a different sequence in every thread and every run
    math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919 + math.floor(os.clock() * 1e6))
    if mode == "get" then
        fixed = wrk.format("GET", args[2])
    elseif mode == "byid" then
        ids = read_ids(args[2])
    elseif mode == "post" then
        ids = read_ids(args[2])
        token = args[3]
    else
        error("bench/wrk.lua: unknown mode " .. tostring(mode))
    end
end

function request()
    if mode == "get" then
        return fixed
    end
    local id = ids[math.random(#ids)]
    if mode == "byid" then
        return wrk.format("GET", "/v1/recommendations/" .. id)
    end
    local status = statuses[math.random(#statuses)]
    local body = '{"body": "Bench: the monitor checked the ministry\'s report.", "status": "'
                 .. status .. '"}'
    return wrk.format("POST", "/v1/recommendations/" .. id .. "/updates",
                      {["Authorization"] = "Bearer " .. token,
                       ["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d "
        .. "errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
        summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.status, e.timeout))
end
