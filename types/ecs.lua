---@meta ecs
-- LuaCATS / LuaLS definitions of the `ecs` module (bindings/lecs*.c and
-- bindings/lua/ecs/*.lua). Point LuaLS at this folder ("workspace.library")
-- for completion and type checks in playbooks. docs/lua-api.md is generated
-- from this file (docs/gen_lua_api.lua); a test checks that every public
-- function of the real module is documented here and on that page.
--
-- Misuse by the script (wrong argument types, unknown options) raises
-- "bad argument #N to 'fn' (...)" at the caller's line. Failures decided by
-- the environment (API errors, network, TLS, timeouts, bad JSON from a
-- server, missing credentials) return `nil, err` with an ecs.Error.

---@class ecs
local ecs = {}

-- -------------------------------------------------------------------- types

---A failure: `nil, err` from the calls; tostring(err) gives
---"Code (HTTP 403): message [RequestId ...]".
---@class ecs.Error
---@field code string API code ("IncorrectInstanceStatus", "Throttling.User", ...) or a local one: ETIMEDOUT, ECONNECT, ERESET, ETLS, ETOOBIG, EJSON, EHTTP, ECREDS, ECONFIG, EDRYRUN, EAUDIT, ETIMEOUT (wait_for), ENOTFOUND
---@field message string human-readable message (never a secret)
---@field kind "api"|"throttle"|"transport"|"credentials"|"config"
---@field status? integer HTTP status, when there was an answer
---@field request_id? string the service's RequestId
---@field host_id? string the service's HostId
---@field recommend? string the service's Recommend URL
---@field action? string the API action
---@field instance_id? string the instance concerned
---@field retryable boolean throttling, 5xx, InternalError/ServiceUnavailable, transport errors
---@field ambiguous boolean the request may have taken effect (timeout or reset after sending, any 5xx to a mutating call): check state before re-sending a mutating call
---@field retry_after? number seconds, from x-acs-retry-after
---@field attempts? integer attempts made (ecs.retry, ecs.reactivate)
---@field access_denied_detail? table permission errors: the service's AccessDeniedDetail object

---Options of ecs.client and ecs.configure. What a client does not set comes
---from the default client (ecsrun's options, the environment).
---@class ecs.ClientOptions
---@field region? string region id, e.g. "cn-hangzhou"
---@field endpoint? string "https://..." (or "http://" on loopback, or with insecure_http)
---@field credentials? ecs.Credentials explicit keys (else the default credentials chain)
---@field profile? string profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials
---@field signature? "v3"|"v1" request signature (default "v3")
---@field connect_timeout? number seconds (default 5)
---@field timeout? number whole-call seconds (default 10)
---@field qps? number client-side rate limit per access key, region and action (0: none)
---@field user_agent? string appended to the User-Agent
---@field ca_file? string CA bundle for TLS verification
---@field insecure_http? boolean allow http:// to non-loopback hosts (default false)
---@field network? string endpoint network type, as the SDK's `network` (e.g. "vpc")
---@field max_response? number largest answer body in bytes (default 8 MiB)
---@field product? string ecs.client only: a short product code ("bss"); default "ecs"
---@field version? string ecs.client only: the product's API version ("2017-12-14"); required for products other than ecs
---@field dry_run? boolean do not send mutating calls (ecsrun's --dry-run); one-way: once on (ecs.configure) nothing turns it off, and false raises

---@class ecs.Credentials
---@field access_key_id string
---@field access_key_secret string
---@field security_token? string

---Who a client acts as (never the secret).
---@class ecs.Identity
---@field access_key_id? string
---@field provider? string where the keys came from: "static_ak" / "static_sts" (keys given to the client), else the chain's source with a "default/" prefix: "default/env", "default/cli_profile/ram_role_arn/static_ak", ...
---@field expiration? number unix seconds, for temporary credentials
---@field region? string

---A client's effective settings (never secrets).
---@class ecs.ClientInfo: ecs.Identity
---@field endpoint? string
---@field signature "v3"|"v1"
---@field qps number
---@field profile? string
---@field dry_run boolean

---@class ecs.ReactivateArgs
---@field instance_id string
---@field region? string default: the client's
---@field retry? ecs.RetryOptions|false false: send once
---@field OwnerId? integer|string sent with the call and with the lookup after an ambiguous failure
---@field OwnerAccount? string
---@field ResourceOwnerId? integer|string
---@field ResourceOwnerAccount? string

---@class ecs.ReactivateResult
---@field request_id? string
---@field instance_id string
---@field region string
---@field attempts integer
---@field elapsed number seconds
---@field verified? boolean true: confirmed by a lookup after an ambiguous failure

---Filters of ecs.instances, ecs.list_instances and ecs.reactivatable.
---@class ecs.InstanceFilter
---@field region? string
---@field status? string "Stopped", "Running", ...
---@field lock_reason? string "financial", "security", ...
---@field charge_type? string "PostPaid" or "PrePaid"
---@field zone? string
---@field name? string InstanceName, `*` as wildcard
---@field tags? table<string, string> all of these tags
---@field ids? string[] these instances (asked 100 at a time)
---@field page_size? integer MaxResults per page (1..100, default 100)
---@field resource_group? string ResourceGroupId
---@field vpc? string VpcId
---@field instance_type? string InstanceType
---@field image? string ImageId
---@field [string] string|number|boolean any other DescribeInstances parameter, under its API name (KeyPairName, VSwitchId, ...)

---An instance as DescribeInstances returns it (InstanceId, RegionId,
---Status, InstanceChargeType, OperationLocks.LockReason, ...).
---@alias ecs.Instance table<string, any>

---@class ecs.RetryOptions
---@field attempts? integer at most this many attempts (default 5)
---@field base? number seconds before the first retry (default 1), doubling
---@field cap? number largest delay in seconds (default 30)
---@field jitter? "full"|"equal"|"none" default "full"
---@field on? fun(err: any): boolean retry this failure? (default: retryable and not an ambiguous mutating call)
---@field throttle_for? number seconds of waiting for which throttled answers are retried without counting as attempts (default 0; ecs.reactivate 70)
---@field max_retry_after? number cap on a server's x-acs-retry-after in seconds (default 120)

---@class ecs.WaitOptions
---@field timeout? number seconds (default 600)
---@field interval? number seconds between lookups (default 5)
---@field region? string

---@class ecs.ParallelOptions
---@field concurrency? integer at most this many at once (default 16, or --concurrency)
---@field progress? boolean draw progress on stderr when it is a terminal (not TERM=dumb)
---@field label? string the phase named on the progress line

---@class ecs.Stats
---@field tasks integer running tasks
---@field calls integer API calls held (in flight or waiting for a rate-limit slot)
---@field transfers integer transfers in flight

---@class ecs.AuditCall
---@field intent table the intent line
---@field outcome? table the outcome line, if it was written

---@class ecs.Audit
---@field calls ecs.AuditCall[] every call, in file order
---@field done table<string, true> instances whose ReActivateInstances finished OK
---@field pending table<string, true> sent with no outcome, or an ambiguous one, and not done since

---@class ecs.SimOptions
---@field latency_ms? integer delay every answer (default: the fleet's)
---@field quiet? boolean no request log on stderr (default true)
---@field listen? string "127.0.0.1:PORT" (default port 0: a free one)

---@class ecs.SignV1Args
---@field method? string default "GET"
---@field params? table<string, string|number> the request's parameters
---@field access_key_secret string

---@class ecs.SignV1Result
---@field canonicalized_query string
---@field string_to_sign string
---@field signature string base64 HMAC-SHA1
---@field signature_url_encoded string
---@field final_query string the query with Signature

---@class ecs.SignV3Args
---@field method? string default "POST"
---@field pathname? string default "/"
---@field query? table<string, string|number>
---@field headers? table<string, string>
---@field body? string default ""
---@field access_key_id string
---@field access_key_secret string

---@class ecs.SignV3Result
---@field canonical_query_string string
---@field canonical_headers string
---@field signed_headers string
---@field canonical_request string
---@field hashed_canonical_request string
---@field hashed_payload string
---@field string_to_sign string
---@field signature string hex HMAC-SHA256
---@field authorization string the Authorization header value

---@class ecs.LogOptions
---@field format? "text"|"json"
---@field level? "debug"|"info"|"warn"|"error"

-- --------------------------------------------------------------- the module

---The module's version (project(VERSION) in CMakeLists.txt).
---@type string
ecs.version = ""

---JSON null: what ecs.json.decode gives for null, and what encodes as null.
---@type lightuserdata
ecs.null = nil

---True when mutating calls are not sent (--dry-run); read-only.
---@type boolean
ecs.dry_run = false

---A client: the module functions' calls on its own settings. What it does not
---set comes from the default client.
---@param opts? ecs.ClientOptions
---@return ecs.Client
function ecs.client(opts) end

---Changes the default client, which module functions use and clients fall
---back to (ecsrun sets it from its options).
---@param opts ecs.ClientOptions
function ecs.configure(opts) end

---Any ECS action with the default client. Nested tables become RepeatList
---keys (Tag = {{Key="env", Value="prod"}} -> Tag.1.Key=env&Tag.1.Value=prod);
---the client's region is added as RegionId when absent.
---@param action string e.g. "DescribeRegions"
---@param params? table
---@return table|nil body the decoded JSON answer
---@return ecs.Error|nil err
function ecs.call(action, params) end

---ReActivateInstances with the safe retry policy: throttling, 5xx and
---connection failures are retried with backoff; an ambiguous failure is
---never re-sent blindly: the instance is looked up first and
---Starting/Running counts as done (res.verified).
---@param arg string|ecs.ReactivateArgs an instance id, or the arguments
---@return ecs.ReactivateResult|nil res
---@return ecs.Error|nil err
function ecs.reactivate(arg) end

---Iterates DescribeInstances, paging for you. On failure the iterator raises
---the ecs.Error.
---@param opts? ecs.InstanceFilter
---@return fun(): ecs.Instance|nil
function ecs.instances(opts) end

---The instances ecs.instances would iterate, as a list.
---@param opts? ecs.InstanceFilter
---@return ecs.Instance[]|nil list
---@return ecs.Error|nil err
function ecs.list_instances(opts) end

---The instances ReActivateInstances can help: Stopped, financial lock,
---PostPaid, no security lock.
---@param opts? ecs.InstanceFilter
---@return ecs.Instance[]|nil list
---@return ecs.Error|nil err
function ecs.reactivatable(opts) end

---Can ReActivateInstances help this instance?
---@param inst ecs.Instance as DescribeInstances returns it
---@return boolean ok
---@return string|nil reason why not
function ecs.classify(inst) end

---Polls DescribeInstances until the instance has the status (backing off
---when throttled).
---@param instance_id string
---@param status string e.g. "Running"
---@param opts? ecs.WaitOptions
---@return ecs.Instance|nil inst
---@return ecs.Error|nil err ETIMEOUT, ENOTFOUND, or the lookup's failure
function ecs.wait_for(instance_id, status, opts) end

---Calls fn(attempt) until it returns a result, retrying the failures
---opts.on accepts with exponential backoff and jitter, never sooner than
---err.retry_after. The final err carries .attempts.
---@param fn fun(attempt: integer): any, any
---@param opts? ecs.RetryOptions
---@return any ... fn's results, or nil, err
function ecs.retry(fn, opts) end

---Runs fn(item, i) for every item as tasks, at most opts.concurrency at once.
---@param items any[]
---@param fn fun(item: any, i: integer): any
---@param opts? ecs.ParallelOptions
---@return table results results[i]: fn's first result
---@return table errors errors[i]: the err fn returned, or the error it raised (with traceback)
function ecs.parallel(items, fn, opts) end

---Starts a task (a coroutine): every ecs call inside it yields while its
---transfer is in flight.
---@param fn function
---@param ... any fn's arguments
---@return ecs.Task
function ecs.spawn(fn, ...) end

---Waits for a task: like pcall.
---@param task ecs.Task
---@return boolean ok
---@return any ... the task's results, or its error
function ecs.join(task) end

---Runs every task to completion; failures of tasks nobody joined are
---returned (and logged).
---@return boolean ok
---@return any[]|nil errors
function ecs.run() end

---Sleeps: yields inside a task, drives the other tasks at the top level.
---@param seconds number >= 0
function ecs.sleep(seconds) end

---pcall through which a task can still wait: like `pcall(fn, ...)`, but an
---ecs call inside fn yields to the scheduler even on PUC Lua 5.1, which
---cannot yield across pcall (on 5.2+ and LuaJIT it is pcall).
---@param fn function
---@param ... any
---@return boolean ok
---@return any ... fn's results, or the error
function ecs.pcall(fn, ...) end

---Wall-clock time, in seconds since the epoch (with fractions).
---@return number
function ecs.now() end

---Running tasks, calls held and transfers in flight.
---@return ecs.Stats
function ecs.stats() end

---API calls sent so far by this module (answered or failed in transport) and
---throttled answers among them: for a run's metrics.
---@return { api_calls: integer, throttled: integer }
function ecs.counters() end

---@class ecs.Balance
---@field available number AvailableAmount (may be negative)
---@field available_cash number AvailableCashAmount
---@field credit number CreditAmount
---@field currency string e.g. "CNY"
---@field request_id? string

---BSS QueryAccountBalance, once, as a pre-check before reactivating: the
---default BSS client inherits the default client's settings.
---@param c? ecs.Client a client with product = "bss"
---@return ecs.Balance|nil balance
---@return ecs.Error|nil err
function ecs.balance(c) end

---@class ecs.HttpRequest
---@field url string https:// (http:// only to loopback unless insecure_http)
---@field method? "GET"|"POST"|"PUT"|"PATCH"|"DELETE" default GET, or POST with a body
---@field headers? table<string, string> names must be tokens; values free of CR/LF/NUL
---@field body? string
---@field timeout? number whole-call seconds (default: the client's)
---@field connect_timeout? number seconds
---@field ca_file? string CA bundle for TLS verification
---@field insecure_http? boolean allow http:// to non-loopback hosts
---@field max_response? number largest answer body in bytes
---@field client? ecs.Client where the settings not given come from (default: the default client)

---@class ecs.HttpResponse
---@field status integer any HTTP status
---@field headers table<string, string> lower-case names
---@field body string

ecs.http = {}

---A plain HTTP request (webhooks, notifications) on the engine that carries
---the API calls: yields inside a task, TLS verified, answers capped. Not held
---back by a dry run, not audited, never logged.
---@param req ecs.HttpRequest
---@return ecs.HttpResponse|nil response
---@return ecs.Error|nil err ECONNECT, ETIMEDOUT, ETLS, ETOOBIG, ECONFIG, ...
function ecs.http.request(req) end

---Who the default client (or c) acts as; resolves the credentials chain if
---needed. Never the secret.
---@param c? ecs.Client
---@return ecs.Identity|nil identity
---@return ecs.Error|nil err ECREDS
function ecs.credentials(c) end

---Makes an ecs.Error (for a script's own failures, so they look like the
---module's).
---@param fields table code=, message=, kind=, ...
---@return ecs.Error
function ecs.error(fields) end

---Default concurrency of ecs.parallel (ecsrun's --concurrency).
---@param n integer >= 1
function ecs.set_default_concurrency(n) end

---Whether ecs.parallel draws progress by default (ecsrun turns it on when
---stderr is a terminal).
---@param on boolean
function ecs.set_progress_default(on) end

-- -------------------------------------------------------------- ecs.Client

---@class ecs.Client
local Client = {}

---ecs.call on this client.
---@param action string
---@param params? table
---@return table|nil body
---@return ecs.Error|nil err
function Client:call(action, params) end

---ecs.reactivate on this client.
---@param arg string|ecs.ReactivateArgs
---@return ecs.ReactivateResult|nil res
---@return ecs.Error|nil err
function Client:reactivate(arg) end

---ecs.instances on this client.
---@param opts? ecs.InstanceFilter
---@return fun(): ecs.Instance|nil
function Client:instances(opts) end

---ecs.reactivatable on this client.
---@param opts? ecs.InstanceFilter
---@return ecs.Instance[]|nil list
---@return ecs.Error|nil err
function Client:reactivatable(opts) end

---ecs.wait_for on this client.
---@param instance_id string
---@param status string
---@param opts? ecs.WaitOptions
---@return ecs.Instance|nil inst
---@return ecs.Error|nil err
function Client:wait_for(instance_id, status, opts) end

---The client's effective settings (never secrets).
---@return ecs.ClientInfo
function Client:info() end

-- ---------------------------------------------------------------- ecs.Task

---@class ecs.Task
local Task = {}

---ecs.join(task).
---@return boolean ok
---@return any ...
function Task:join() end

---@return "running"|"done"|"failed"
function Task:status() end

-- ---------------------------------------------------------------- ecs.json

---@class ecs.json
ecs.json = {}

---JSON null (the same value as ecs.null).
---@type lightuserdata
ecs.json.null = nil

---Encodes a Lua value (tables with 1..n keys, or marked by ecs.json.array,
---are arrays). Raises on values JSON cannot hold.
---@param value any
---@return string
function ecs.json.encode(value) end

---Decodes JSON text: null is ecs.null, arrays carry the array mark. Raises
---on invalid JSON, naming the byte.
---@param text string
---@return any value
function ecs.json.decode(text) end

---Marks t so that it encodes as an array, even when empty.
---@param t table
---@return table t
function ecs.json.array(t) end

-- ----------------------------------------------------------------- ecs.log

---Text or JSON lines on stderr; fields named like secrets are redacted.
---@class ecs.log
ecs.log = {}

---@param msg string
---@param fields? table
function ecs.log.debug(msg, fields) end

---@param msg string
---@param fields? table
function ecs.log.info(msg, fields) end

---@param msg string
---@param fields? table
function ecs.log.warn(msg, fields) end

---@param msg string
---@param fields? table
function ecs.log.error(msg, fields) end

---Sets the log format and level (ecsrun's --log, -v, -q).
---@param opts ecs.LogOptions
function ecs.log.configure(opts) end

---The current format.
---@return "text"|"json"
function ecs.log.format() end

-- ---------------------------------------------------------------- ecs.sign

---The signers, for other Alibaba Cloud APIs.
---@class ecs.sign
ecs.sign = {}

---RPC signature V1 (HMAC-SHA1).
---@param args ecs.SignV1Args
---@return ecs.SignV1Result
function ecs.sign.v1(args) end

---ACS3-HMAC-SHA256 (V3).
---@param args ecs.SignV3Args
---@return ecs.SignV3Result
function ecs.sign.v3(args) end

-- --------------------------------------------------------------- ecs.audit

---The audit trail: one fsync'd JSON line per mutating call, "intent" before
---the request is sent and "outcome" after (README "Safety").
---@class ecs.audit
ecs.audit = {}

---Starts appending to the audit file (ecsrun's --audit).
---@param path string
---@return true|nil ok
---@return ecs.Error|nil err
function ecs.audit.open(path) end

---The open audit file's path.
---@return string|nil
function ecs.audit.path() end

---Reads an audit file (default: the open one); incomplete lines (a crash
---mid-write) are skipped.
---@param path? string
---@return ecs.Audit|nil audit
---@return ecs.Error|nil err
function ecs.audit.read(path) end

---The instances already reactivated according to the audit file.
---@param path? string
---@return table<string, true>|nil done
---@return ecs.Error|nil err
function ecs.audit.done(path) end

---Audit lines that could not be written so far (a mutating call whose intent
---line failed was not sent: EAUDIT), and the last failure's message. ecsrun
---exits 3 at the end when this is above 0.
---@return integer failures
---@return string|nil message
function ecs.audit.failures() end

---The open audit file's run id (16 hex digits, fresh for every run; every
---line of this run carries it), nil when no audit file is open.
---@return string|nil
function ecs.audit.run_id() end

-- ----------------------------------------------------------------- ecs.sim

---The ECS simulator in-process (module ecs.sim, ecs/sim.so, loaded on first
---use of ecs.sim), or a handle on an ecs-sim process.
---@class ecs.sim
ecs.sim = {}

---Starts a simulator on loopback. A bad fleet raises, naming the field.
---@param fleet table|string the fleet, or the path of a fleet JSON file
---@param opts? ecs.SimOptions
---@return ecs.Sim
function ecs.sim.start(fleet, opts) end

---A handle on a simulator that runs elsewhere (an ecs-sim process).
---@param url string e.g. "http://127.0.0.1:8080"
---@param credentials? ecs.Credentials default sim-ak / sim-secret
---@param opts? { ca_file?: string } the test CA of an https simulator
---@return ecs.SimConnection
function ecs.sim.connect(url, credentials, opts) end

---A running in-process simulator; stopped by sim:stop(), garbage collection
---or a to-be-closed variable.
---@class ecs.Sim
local Sim = {}

---@return string url "http://127.0.0.1:PORT"
function Sim:url() end

---@return integer port
function Sim:port() end

---The keys of the fleet's first account.
---@return ecs.Credentials
function Sim:credentials() end

---A client pointed at the simulator with its keys.
---@param opts? ecs.ClientOptions
---@return ecs.Client
function Sim:client(opts) end

---The whole state (GET /_sim/state).
---@return table|nil state
---@return ecs.Error|nil err
function Sim:state() end

---The request log (GET /_sim/requests).
---@return table|nil requests
---@return ecs.Error|nil err
function Sim:requests() end

---Moves the simulator's clock forward: throttle windows, x-acs-date checks
---and Starting -> Running follow it, so a rehearsal covers minutes in
---milliseconds.
---@param seconds number 0-86400
---@return number now the simulator's time (epoch seconds) afterwards
function Sim:advance(seconds) end

---Stops the simulator (idempotent).
function Sim:stop() end

---@class ecs.SimConnection
local SimConnection = {}

---@return string url
function SimConnection:url() end

---@return string|nil ca_file
function SimConnection:ca_file() end

---@return ecs.Credentials
function SimConnection:credentials() end

---@param opts? ecs.ClientOptions
---@return ecs.Client
function SimConnection:client(opts) end

---@return table|nil state
---@return ecs.Error|nil err
function SimConnection:state() end

---@return table|nil requests
---@return ecs.Error|nil err
function SimConnection:requests() end

return ecs
