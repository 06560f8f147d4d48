-- SPDX-License-Identifier: GPL-2.0
--
-- doc/snippets.lua - the pandoc filter that keeps doc/walkthrough.md from
-- going stale. The page never holds a copy of code, of an essay or of
-- output: it holds empty fenced blocks that name what goes there, and this
-- filter fills them in when the page is rendered.
--
--   ```{snippet=NAME}```      the lines between "/* [snippet:NAME] */" and
--                             "/* [/snippet:NAME] */" (each on a line of its
--                             own) in the first source file that has them,
--                             with that file's name and line numbers
--   ```{function=NAME}```     the definition of the C function NAME, with
--                             the kernel-doc comment above it
--   ```{doc="TITLE"}```       the kernel-doc "DOC: TITLE" essay, as prose
--   ```{results=PATH}```      a Markdown file written by a program and kept
--                             in the repository (doc/bench-results.md,
--                             written by make bench), inserted as it is
--   ```{capture=NAME}```      build/doc/captures/NAME, output captured by
--                             `make doc`; optional from=, to= (Lua patterns:
--                             the first line matching `from` up to the next
--                             one matching `to`), grep= (only the lines
--                             matching one of its |-separated Lua patterns)
--                             and max= (at most that many lines)
--
-- A snippet, function or DOC title that is not found, or found twice in
-- one file, fails the build (all of them are listed). A missing capture
-- does not: the page says why it is missing (NAME.failed, written by
-- doc/capture.py) or that `make doc` has not been run.
--
-- Environment: KEDR_DOC_TOP (the repository, default "."),
-- KEDR_DOC_SOURCES (the files to look in, in order, relative to the top;
-- default below), KEDR_DOC_CAPTURES (default build/doc/captures).

local top = os.getenv("KEDR_DOC_TOP") or "."
local captures = os.getenv("KEDR_DOC_CAPTURES") or (top .. "/build/doc/captures")
local sources = {}
for f in (os.getenv("KEDR_DOC_SOURCES") or
	  "kedr_sample.c insn_tables.h sample_target/cfake.c"):gmatch("%S+") do
	sources[#sources + 1] = f
end

local errors = {}
local function problem(msg)
	errors[#errors + 1] = msg
end

-- ---- reading the sources ------------------------------------------------

local cache = {}
local function lines_of(rel)
	if cache[rel] == nil then
		local f = io.open(top .. "/" .. rel, "r")
		if not f then
			cache[rel] = false
		else
			local t = {}
			for l in f:lines() do
				t[#t + 1] = l
			end
			f:close()
			cache[rel] = t
		end
	end
	return cache[rel] or nil
end

local function trim(s)
	return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Find a region in the first source file that has it. find(lines) returns
-- (first, last) line numbers of the excerpt, nil if absent, or false, why.
local function locate(what, find)
	for _, rel in ipairs(sources) do
		local t = lines_of(rel)
		if t then
			local a, b = find(t)
			if a then
				return rel, t, a, b
			elseif a == false then
				problem(what .. " in " .. rel .. ": " .. b)
				return nil
			end
		end
	end
	problem(what .. " not found in " .. table.concat(sources, ", "))
	return nil
end

local function find_marker(name)
	local open_m, close_m = "/* [snippet:" .. name .. "] */", "/* [/snippet:" .. name .. "] */"
	return function(t)
		local a, b, n = nil, nil, 0
		for i, l in ipairs(t) do
			local s = trim(l)
			if s == open_m then
				n = n + 1
				a = a or i
			elseif s == close_m and a and not b then
				b = i
			end
		end
		if not a then
			return nil
		elseif n > 1 then
			return false, "marker [snippet:" .. name .. "] appears " .. n .. " times"
		elseif not b then
			return false, "no closing marker [/snippet:" .. name .. "]"
		end
		return a + 1, b - 1
	end
end

local function find_function(name)
	local pat = "[%s%*]" .. name:gsub("%p", "%%%0") .. "%("
	return function(t)
		for i, l in ipairs(t) do
			-- a definition starts at column 0 and does not end in ';'
			if l:match("^[%a_]") and (" " .. l):match(pat) and not l:match(";%s*$") then
				local a, b = i, nil
				if i > 1 and trim(t[i - 1]) == "*/" then
					for j = i - 1, 1, -1 do
						if trim(t[j]) == "/**" then
							a = j
							break
						end
					end
				end
				for j = i + 1, #t do
					if t[j] == "}" then
						b = j
						break
					end
				end
				if not b then
					return false, "no closing brace for " .. name .. "()"
				end
				return a, b
			end
		end
		return nil
	end
end

local function find_doc(title)
	return function(t)
		for i, l in ipairs(t) do
			if l:match("^ %* DOC: ") and trim(l:sub(9)) == title then
				for j = i + 1, #t do
					if trim(t[j]) == "*/" then
						return i + 1, j - 1
					end
				end
				return false, "DOC: " .. title .. " is not closed"
			end
		end
		return nil
	end
end

-- ---- building the page --------------------------------------------------

local function caption(inlines, class)
	return pandoc.Div({ pandoc.Plain(inlines) }, pandoc.Attr("", { class or "excerpt-source" }))
end

local function excerpt(kind, what, find, block)
	local rel, t, a, b = locate(kind .. " " .. what, find)
	if not rel then
		return pandoc.Para({ pandoc.Strong({ pandoc.Str("[missing " .. kind .. ": " .. what .. "]") }) })
	end
	local body = {}
	for i = a, b do
		body[#body + 1] = t[i]
	end
	-- a marker inside a function is indented: drop the common leading tab
	local all_tab = #body > 0
	for _, l in ipairs(body) do
		if l ~= "" and not l:match("^\t") then
			all_tab = false
		end
	end
	if all_tab then
		for i, l in ipairs(body) do
			body[i] = l:gsub("^\t", "")
		end
	end
	local classes = { "c", "numberLines" }
	local code = pandoc.CodeBlock(table.concat(body, "\n"),
		pandoc.Attr("", classes, { { "startFrom", tostring(a) } }))
	local label = kind == "function" and (what .. "()") or ("[snippet:" .. what .. "]")
	return pandoc.Div({
		caption({ pandoc.Code(rel), pandoc.Str(", lines " .. a .. "\u{2013}" .. b .. ": "),
			  pandoc.Emph({ pandoc.Str(label) }) }),
		code,
	}, pandoc.Attr("", { "excerpt" }))
end

-- kernel-doc essays are reStructuredText (Documentation/doc-guide). This
-- one tolerates what the sources do: a paragraph that ends in ":" (not "::")
-- before an indented drawing gets "::", so the drawing stays a drawing.
local function doc_to_rst(body)
	local out = {}
	for i, l in ipairs(body) do
		local s = l:gsub("^ %*", "", 1)
		if s:sub(1, 1) == " " then
			s = s:sub(2)
		end
		out[i] = s
	end
	local function indent(s)
		local e = s:gsub("\t", "        ")
		return #e - #(e:gsub("^ +", ""))
	end
	for i, s in ipairs(out) do
		if s:match("[^:]:$") and indent(s) == 0 then
			local j = i + 1
			while out[j] and trim(out[j]) == "" do
				j = j + 1
			end
			local nxt = out[j]
			if nxt and j > i + 1 and indent(nxt) > 0 then
				local t = trim(nxt)
				local list = t:match("^[-*] ") or t:match("^%d+%. ")
				local deflist = out[j + 1] and trim(out[j + 1]) ~= "" and indent(out[j + 1]) > indent(nxt)
				if not list and not deflist then
					out[i] = s .. ":"
				end
			end
		end
	end
	return table.concat(out, "\n")
end

local function essay(title)
	local rel, t, a, b = locate("DOC: " .. title, find_doc(title))
	if not rel then
		return pandoc.Para({ pandoc.Strong({ pandoc.Str("[missing DOC: " .. title .. "]") }) })
	end
	local body = {}
	for i = a, b do
		body[#body + 1] = t[i]
	end
	local blocks = pandoc.read(doc_to_rst(body), "rst").blocks
	-- an indented list is a block quote in reStructuredText: show just the list
	blocks = pandoc.walk_block(pandoc.Div(blocks), {
		BlockQuote = function(q)
			for _, b in ipairs(q.content) do
				if b.t ~= "BulletList" and b.t ~= "OrderedList" and b.t ~= "DefinitionList" then
					return nil
				end
			end
			return q.content
		end,
	}).content
	local content = { caption({ pandoc.Str("From "), pandoc.Code(rel), pandoc.Str(", lines " .. (a - 1) ..
		"\u{2013}" .. (b + 1) .. ": "), pandoc.Emph({ pandoc.Str("DOC: " .. title) }) }) }
	for _, bl in ipairs(blocks) do
		content[#content + 1] = bl
	end
	return pandoc.Div(content, pandoc.Attr("", { "essay" }))
end

local function read_file(path)
	local f = io.open(path, "r")
	if not f then
		return nil
	end
	local s = f:read("a")
	f:close()
	return s
end

local function capture(name, attr)
	local text = read_file(captures .. "/" .. name)
	if not text then
		local why = read_file(captures .. "/" .. name .. ".failed")
		local msg = why and { pandoc.Str("This capture could not be made: " .. trim(why)) }
			or { pandoc.Str("Not captured yet: run "), pandoc.Code("make doc"),
			     pandoc.Str(" (it boots the lab and records this output).") }
		local para = { pandoc.Strong({ pandoc.Str("[capture " .. name .. "]") }), pandoc.Space() }
		for _, x in ipairs(msg) do
			para[#para + 1] = x
		end
		return pandoc.Div({ pandoc.Para(para) }, pandoc.Attr("", { "capture-missing" }))
	end
	local meta, lines = {}, {}
	for l in (text .. "\n"):gmatch("(.-)\n") do
		if #lines == 0 and next(meta) == nil and l:match("^#%% ") then
			for k, v in l:gmatch("(%w+)=(%S+)") do
				meta[k] = v
			end
		else
			lines[#lines + 1] = l
		end
	end
	while #lines > 0 and lines[#lines] == "" do
		lines[#lines] = nil
	end
	local from, to, grep, max = attr.from, attr.to, attr.grep, tonumber(attr.max)
	if from then
		local sel, on = {}, false
		for _, l in ipairs(lines) do
			if not on and l:match(from) then
				on = true
			end
			if on then
				sel[#sel + 1] = l
				if to and #sel > 1 and l:match(to) then
					break
				end
			end
		end
		if #sel == 0 then
			problem("capture " .. name .. ": no line matches from=" .. from)
		end
		lines = sel
	end
	if grep then
		local sel = {}
		for _, l in ipairs(lines) do
			for pat in grep:gmatch("[^|]+") do
				if l:match(pat) then
					sel[#sel + 1] = l
					break
				end
			end
		end
		lines = sel
	end
	if max and #lines > max then
		local n = #lines - max
		for _ = 1, n do
			table.remove(lines)
		end
		lines[#lines + 1] = "... (" .. n .. " more lines)"
	end
	local src = meta.source == "lab" and "the lab, by `make doc`" or (meta.source or "?")
	local how = {}
	if meta.source == "lab" then
		how = { pandoc.Str("Captured in the lab by "), pandoc.Code("make doc"),
			pandoc.Str(": kernel " .. (meta.kernel or "?") .. ", " .. (meta.date or "?") .. ".") }
	else
		how = { pandoc.Str("Generated by "), pandoc.Code("make doc"), pandoc.Str(" from "),
			pandoc.Code(src), pandoc.Str(" (" .. (meta.tool or "?") .. "; built for " ..
			(meta.kernel or "?") .. ", " .. (meta.date or "?") .. ").") }
	end
	local cls = attr.class or "output"
	local widest = 0
	for _, l in ipairs(lines) do
		widest = math.max(widest, utf8.len(l) or #l)
	end
	return pandoc.Div({
		pandoc.CodeBlock(table.concat(lines, "\n"), pandoc.Attr("", { cls })),
		caption(how, "capture-source"),
	}, pandoc.Attr("", { "capture", widest > 96 and "wide" or "narrow" }))
end

function CodeBlock(el)
	local a = el.attributes
	if a.snippet then
		return excerpt("snippet", a.snippet, find_marker(a.snippet))
	elseif a["function"] then
		return excerpt("function", a["function"], find_function(a["function"]))
	elseif a.doc then
		return essay(a.doc)
	elseif a.capture then
		local attr = { from = a.from, to = a.to, grep = a.grep, max = a.max, class = el.classes[1] }
		return capture(a.capture, attr)
	elseif a.results then
		-- a Markdown file written by a program (make bench), kept in doc/
		local text = read_file(top .. "/" .. a.results)
		if not text then
			problem("results file " .. a.results .. " is missing")
			return {}
		end
		return pandoc.read(text, "markdown").blocks
	end
end

function Pandoc(doc)
	if #errors > 0 then
		for _, e in ipairs(errors) do
			io.stderr:write("snippets.lua: " .. e .. "\n")
		end
		error("snippets.lua: " .. #errors .. " excerpt(s) not found; the page is not rendered")
	end
	return doc
end
