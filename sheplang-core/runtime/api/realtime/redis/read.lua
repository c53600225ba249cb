-- Reads a channel's stream for a resuming subscriber (docs/scale-out.md, "The log in Redis"),
-- in one step with the epoch, so that positions and epoch always belong together.
--
-- KEYS[1]  the epoch key
-- KEYS[2]  the channel's stream
-- ARGV[1]  the epoch to start a history with, when KEYS[1] is missing
-- ARGV[2]  the first entry wanted (`0-<since + 1>`), or '' for none
-- Answers { epoch, last id or '0-0', now in milliseconds, entries from ARGV[2] on }.
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  redis.call('SET', KEYS[1], ARGV[1])
  epoch = ARGV[1]
end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local head = '0-0'
if #last > 0 then
  head = last[1][1]
end
local now = redis.call('TIME')
local ms = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
local entries = {}
if ARGV[2] ~= '' then
  entries = redis.call('XRANGE', KEYS[2], ARGV[2], '+')
end
return { epoch, head, ms, entries }
