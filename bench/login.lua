-- wrk script for the log-in benchmark: every request is a real log-in with
-- the right password, each with a visitor's nonce cookie and its CSRF
-- token. The pairs come from a file of "cookie csrf" lines; each wrk thread
-- takes every n-th line. Past the password queue (as many hashes running
-- and waiting as cores, twice), log-ins get 503 at once: the flood guard.
local threads = {}
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("id", counter)
    table.insert(threads, thread)
end

function init(args)
    local file, username, password, thread_count = args[1], args[2], args[3], tonumber(args[4])
    pairs_ = {}
    local line_number = 0
    for line in io.lines(file) do
        line_number = line_number + 1
        if line_number % thread_count == id - 1 then
            table.insert(pairs_, line)
        end
    end
    body_prefix = "username=" .. username .. "&password=" .. password .. "&_csrf="
    next_pair = 0
end

function request()
    next_pair = next_pair + 1
    local line = pairs_[((next_pair - 1) % #pairs_) + 1]
    local cookie, csrf = line:match("^(%S+) (%S+)$")
    return wrk.format("POST", "/login", {
        ["Cookie"] = "taskr_visitor=" .. cookie,
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body_prefix .. csrf)
end
