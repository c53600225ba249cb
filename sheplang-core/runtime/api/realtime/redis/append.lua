-- Appends one model event to its channel's stream (docs/scale-out.md, "The log in Redis").
-- Every writer runs this same script, Rust servers, Node servers and publishers alike, so
-- positions are the stream's own counter: entry `0-N` is position N, one more than the last,
-- handed out by Redis in one step with the epoch it belongs to.
--
-- KEYS[1]  the epoch key (a string naming the current history)
-- KEYS[2]  the channel's stream
-- ARGV[1]  the epoch to start a history with, when KEYS[1] is missing (a store that lost its data)
-- ARGV[2]  how many entries the stream keeps, at least (`MAXLEN ~`)
-- ARGV[3]  the event name (`model_created`, `model_updated`, `model_deleted`)
-- ARGV[4]  the model name
-- ARGV[5]  the payload, JSON (the row, or the id of a deleted row)
-- ARGV[6]  optional: the row before the change, JSON (for filtered subscriptions), or ''
-- Answers { epoch, id }.
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  redis.call('SET', KEYS[1], ARGV[1])
  epoch = ARGV[1]
end
local now = redis.call('TIME')
local ms = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
local fields = { 'e', epoch, 't', ms, 'k', ARGV[3], 'm', ARGV[4], 'p', ARGV[5] }
if ARGV[6] ~= nil and ARGV[6] ~= '' then
  table.insert(fields, 'b')
  table.insert(fields, ARGV[6])
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '0-*', unpack(fields))
return { epoch, id }
