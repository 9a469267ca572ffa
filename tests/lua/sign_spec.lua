-- ecs.sign.v1 / ecs.sign.v3 against every vector the official SDK computed.
local ecs = require "ecs"
local H = require "helpers"

local function load(name)
  local text = assert(H.read(H.src .. "/tests/vectors/" .. name), "cannot read vectors/" .. name)
  return ecs.json.decode(text)
end

describe("ecs.sign.v1", function()
  local doc = load("signature-v1.json")

  it("matches every official V1 vector field by field", function()
    local n = 0
    for _, v in ipairs(doc.vectors) do
      local out = ecs.sign.v1{ method = v.method, params = v.params, access_key_secret = v.access_key_secret }
      local e = v.expected
      assert.are.equal(e.canonicalized_query, out.canonicalized_query, v.id)
      assert.are.equal(e.string_to_sign, out.string_to_sign, v.id)
      assert.are.equal(e.signature, out.signature, v.id)
      assert.are.equal(e.signature_url_encoded, out.signature_url_encoded, v.id)
      assert.are.equal(e.final_query, out.final_query, v.id)
      if v.method == "POST" then assert.are.equal(e.request_body, out.final_query, v.id) end
      n = n + 1
    end
    assert.are.equal(#doc.vectors, n)
    assert.is_true(n >= 40)
  end)

  it("reproduces both documented examples", function()
    local seen = 0
    for _, v in ipairs(doc.vectors) do
      if v.documented_signature then
        local out = ecs.sign.v1{ method = v.method, params = v.params, access_key_secret = v.access_key_secret }
        assert.are.equal(v.documented_signature, out.signature, v.id)
        seen = seen + 1
      end
    end
    assert.are.equal(2, seen)
  end)

  it("raises on misuse, naming the option", function()
    assert.has_error(function() ecs.sign.v1{ params = {} } end,
      "bad argument #1 to 'v1' (access_key_secret: string expected, got nil)")
    assert.has_error(function() ecs.sign.v1{ access_key_secret = "s", bogus = 1 } end,
      "bad argument #1 to 'v1' (unknown option 'bogus')")
    assert.has_error(function() ecs.sign.v1("x") end)
  end)
end)

describe("ecs.sign.v3", function()
  local doc = load("signature-v3.json")

  local function b64decode(s)
    local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    s = s:gsub("[^" .. alphabet .. "=]", "")
    return (s:gsub(".", function(x)
      if x == "=" then return "" end
      local r, f = "", alphabet:find(x, 1, true) - 1
      for i = 6, 1, -1 do r = r .. (f % 2 ^ i - f % 2 ^ (i - 1) > 0 and "1" or "0") end
      return r
    end):gsub("%d%d%d?%d?%d?%d?%d?%d?", function(x)
      if #x ~= 8 then return "" end
      local c = 0
      for i = 1, 8 do c = c + (x:sub(i, i) == "1" and 2 ^ (8 - i) or 0) end
      return string.char(c)
    end))
  end

  it("matches every official V3 vector field by field", function()
    local n = 0
    for _, v in ipairs(doc.vectors) do
      local out = ecs.sign.v3{ method = v.method, pathname = v.pathname, query = v.query, headers = v.headers,
                               body = b64decode(v.body.base64 or ""), access_key_id = v.access_key_id,
                               access_key_secret = v.access_key_secret }
      local e = v.expected
      assert.are.equal(e.canonical_query_string, out.canonical_query_string, v.id)
      assert.are.equal(e.canonical_headers, out.canonical_headers, v.id)
      assert.are.equal(e.signed_headers_joined, out.signed_headers, v.id)
      assert.are.equal(e.hashed_payload, out.hashed_payload, v.id)
      assert.are.equal(e.canonical_request, out.canonical_request, v.id)
      assert.are.equal(e.hashed_canonical_request, out.hashed_canonical_request, v.id)
      assert.are.equal(e.string_to_sign, out.string_to_sign, v.id)
      assert.are.equal(e.signature, out.signature, v.id)
      assert.are.equal(e.authorization, out.authorization, v.id)
      n = n + 1
    end
    assert.are.equal(#doc.vectors, n)
    assert.is_true(n >= 20)
  end)

  it("reproduces the documented RunInstances example", function()
    local out = ecs.sign.v3{
      method = "POST", pathname = "/",
      query = { ImageId = "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", RegionId = "cn-shanghai" },
      headers = { host = "ecs.cn-shanghai.aliyuncs.com", ["x-acs-action"] = "RunInstances",
                  ["x-acs-version"] = "2014-05-26", ["x-acs-date"] = "2023-10-26T10:22:32Z",
                  ["x-acs-signature-nonce"] = "3156853299f313e23d1673dc12e1703d",
                  ["x-acs-content-sha256"] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
      access_key_id = "YourAccessKeyId", access_key_secret = "YourAccessKeySecret" }
    assert.are.equal("ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
      out.string_to_sign)
    assert.are.equal("06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0", out.signature)
  end)

  it("raises on misuse, naming the option", function()
    assert.has_error(function() ecs.sign.v3{ access_key_secret = "s" } end,
      "bad argument #1 to 'v3' (access_key_id: string expected, got nil)")
    assert.has_error(function() ecs.sign.v3{ access_key_id = "a", access_key_secret = "s", query = 5 } end,
      "bad argument #1 to 'v3' (query: table expected, got number)")
  end)
end)
