--[[
quarto-subset.lua: the part of Quarto that report/ and slides/ use, for plain pandoc (>= 3.1).

  {{< include path >}}    file contents, path relative to the including file (nested includes ok)
  {{< var a.b.c >}}       value from _variables.yml next to the document (nested keys)
  {{< pagebreak >}}       page break (Typst, HTML, LaTeX); nothing on slides
  ::: {.callout-note}     callouts: note, tip, warning, important, caution; title from
                          a `title="..."` attribute or a leading heading
  ![Cap](x.png){#fig-x}   numbered figures, referenced as @fig-x -> "Figure N"
  ::: {#tbl-x}            numbered tables: a table followed by its caption paragraph,
                          referenced as @tbl-x -> "Table N"
  # Title {#sec-x}        sections, referenced as @sec-x -> "Section N.M"
  date: today             today's date (SOURCE_DATE_EPOCH when set, for reproducible builds)

Shortcodes are expanded in the raw text before parsing, as Quarto does, so they work
everywhere: in headings, table cells and included files. Anything that cannot be resolved
(unknown variable, missing include or image, unknown cross-reference) stops the render with
an error that names it: a broken document must never look finished.
]]

local PREFIX = 'quarto-subset: '

local function fail(msg)
  error(PREFIX .. msg, 0)
end

local function read_file(path, what)
  local f = io.open(path, 'r')
  if not f then
    fail(what .. ' not found: ' .. path)
  end
  local text = f:read('a')
  f:close()
  return text
end

local function exists(path)
  local f = io.open(path, 'r')
  if f then
    f:close()
  end
  return f ~= nil
end

-- Variables -----------------------------------------------------------------------------

local variables_path
local variables -- parsed lazily: documents without {{< var >}} need no _variables.yml

local function load_variables()
  if variables == nil then
    local text = read_file(variables_path, 'variables file')
    -- pandoc has no YAML module in Lua, but it parses YAML front matter.
    text = text:gsub('^%-%-%-[ \t]*\n', '')
    variables = pandoc.read('---\n' .. text .. '\n...\n', 'markdown-smart').meta
  end
  return variables
end

local function variable(key)
  local node = load_variables()
  for part in key:gmatch('[^.]+') do
    local kind = pandoc.utils.type(node) -- 'Meta' at the root, 'table' for a nested mapping
    if (kind ~= 'Meta' and kind ~= 'table') or node[part] == nil then
      fail('unknown variable "' .. key .. '" (not in ' .. variables_path .. ')')
    end
    node = node[part]
  end
  local kind = pandoc.utils.type(node)
  if kind == 'table' or kind == 'List' then
    fail('variable "' .. key .. '" is a ' .. (kind == 'List' and 'list' or 'mapping')
      .. ', not a value')
  end
  return pandoc.utils.stringify(node)
end

-- Shortcodes (raw text) -----------------------------------------------------------------

local expand

local function shortcode(name, args, dir, depth)
  args = args:gsub('^["\']', ''):gsub('["\']$', '')
  if name == 'var' then
    return variable(args)
  elseif name == 'include' then
    if depth > 20 then
      fail('includes nested more than 20 deep (a cycle?) at ' .. args)
    end
    local path = pandoc.path.normalize(pandoc.path.join({ dir, args }))
    local text = read_file(path, 'included file'):gsub('%s+$', '')
    return expand(text, pandoc.path.directory(path), depth + 1)
  elseif name == 'pagebreak' then
    return '\n\n::: {.pagebreak}\n:::\n\n'
  end
  fail('unsupported shortcode {{< ' .. name .. ' ' .. args .. ' >}}')
end

expand = function(text, dir, depth)
  -- `{{{< x >}}}` is Quarto's escape for a literal shortcode.
  return (text:gsub('(%{?){{<%s*(%w+)%s*(.-)%s*>}}(%}?)', function(open, name, args, close)
    if open == '{' and close == '}' then
      return '{{< ' .. name .. (args ~= '' and ' ' .. args or '') .. ' >}}'
    end
    return open .. shortcode(name, args, dir, depth) .. close
  end))
end

-- Blocks: callouts, page breaks, table divs ----------------------------------------------

local CALLOUT_TITLES = {
  note = 'Note', tip = 'Tip', warning = 'Warning', important = 'Important', caution = 'Caution',
}

local function typst_inlines(inlines)
  return pandoc.write(pandoc.Pandoc({ pandoc.Plain(inlines) }), 'typst'):gsub('%s+$', '')
end

local function callout(div, kind)
  local body = div.content
  local title
  if div.attributes.title then
    title = pandoc.Inlines(div.attributes.title)
  elseif body[1] and body[1].t == 'Header' then
    title = body[1].content
    body = pandoc.Blocks({ table.unpack(body, 2) })
  else
    title = pandoc.Inlines(CALLOUT_TITLES[kind])
  end
  if FORMAT == 'typst' then
    -- callout() is defined in typst-header.typ; the body stays ordinary pandoc blocks.
    local open = '#callout(kind: "' .. kind .. '", title: [' .. typst_inlines(title) .. '])['
    local blocks = pandoc.Blocks({ pandoc.RawBlock('typst', open) })
    blocks:extend(body)
    blocks:insert(pandoc.RawBlock('typst', ']'))
    return blocks
  end
  local content = pandoc.Blocks({ pandoc.Div(pandoc.Plain(pandoc.Strong(title)),
    { class = 'callout-title' }) })
  content:extend(body)
  return pandoc.Div(content, { class = 'callout callout-' .. kind })
end

local function pagebreak()
  if FORMAT == 'typst' then
    return pandoc.RawBlock('typst', '#pagebreak()')
  elseif FORMAT:match('latex') or FORMAT == 'beamer' then
    return pandoc.RawBlock('latex', '\\newpage{}')
  elseif FORMAT:match('html') or FORMAT == 'epub' then
    return pandoc.RawBlock('html', '<div style="page-break-after: always;"></div>')
  end
  return {} -- slides and other formats have no pages
end

-- Quarto's table cross-reference: a div #tbl-x holding a table and its caption paragraph.
local function table_div(div)
  local tbl, caption = nil, pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    if block.t == 'Table' and not tbl then
      tbl = block
    elseif block.t == 'Para' or block.t == 'Plain' then
      caption:insert(pandoc.Plain(block.content))
    else
      fail('#' .. div.identifier .. ' may hold one table and a caption paragraph, found a '
        .. block.t)
    end
  end
  if not tbl then
    fail('#' .. div.identifier .. ' holds no table (is the included file empty?)')
  end
  if #caption == 0 then
    fail('#' .. div.identifier .. ' has no caption paragraph after the table')
  end
  tbl.identifier = div.identifier
  tbl.caption = { long = caption }
  return tbl
end

local function Div(div)
  if div.classes:includes('pagebreak') then
    return pagebreak()
  end
  for _, class in ipairs(div.classes) do
    local kind = class:match('^callout%-(%a+)$')
    if kind then
      if not CALLOUT_TITLES[kind] then
        fail('unknown callout type .' .. class)
      end
      return callout(div, kind)
    end
  end
  if div.identifier:match('^tbl%-') then
    return table_div(div)
  end
end

-- Cross-references -------------------------------------------------------------------------

-- The words of a reference and of the date, by the document's `lang` (English otherwise).
local WORDS = {
  en = { fig = 'Figure', tbl = 'Table', sec = 'Section', ['and'] = 'and',
    months = { 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
      'September', 'October', 'November', 'December' } },
  fr = { fig = 'Figure', tbl = 'Tableau', sec = 'Section', ['and'] = 'et',
    months = { 'janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août',
      'septembre', 'octobre', 'novembre', 'décembre' } },
}
local KINDS = WORDS.en -- set from the document's `lang` when it is read
local REFERABLE = { fig = true, tbl = true, sec = true }

local function use_language(meta)
  local lang = meta.lang and pandoc.utils.stringify(meta.lang):match('^(%a+)') or 'en'
  KINDS = WORDS[lang] or WORDS.en
end

local function number_targets(doc)
  local numbers, counts, levels = {}, { fig = 0, tbl = 0 }, {}
  local function add(id, number)
    if numbers[id] then
      fail('duplicate identifier #' .. id)
    end
    numbers[id] = number
  end
  local function count(el)
    local kind = el.identifier:match('^(%a+)%-')
    if (kind == 'fig' and el.t == 'Figure') or (kind == 'tbl' and el.t == 'Table') then
      counts[kind] = counts[kind] + 1
      add(el.identifier, counts[kind])
    end
  end
  local function header(el) -- sections are numbered 1, 1.1, ... as with number-sections
    if el.classes:includes('unnumbered') then
      return
    end
    levels[el.level] = (levels[el.level] or 0) + 1
    for level = el.level + 1, 6 do
      levels[level] = nil
    end
    if el.identifier:match('^sec%-') then
      local parts = {}
      for level = 1, el.level do
        parts[#parts + 1] = tostring(levels[level] or 0)
      end
      add(el.identifier, table.concat(parts, '.'))
    end
  end
  doc:walk({ traverse = 'topdown', Figure = count, Table = count, Header = header })
  return numbers
end

local function prefix_caption(el, numbers)
  local n = numbers[el.identifier]
  if not n or FORMAT == 'typst' then
    return nil -- Typst numbers its own figures and tables
  end
  -- French sets a narrow no-break space before the colon.
  local colon = KINDS == WORDS.fr and '\u{202F}:' or ':'
  local label = KINDS[el.identifier:match('^(%a+)')] .. ' ' .. n .. colon
  local long = el.caption.long
  if long[1] and (long[1].t == 'Plain' or long[1].t == 'Para') then
    long[1].content:insert(1, pandoc.Space())
    long[1].content:insert(1, pandoc.Str(label))
  else
    long:insert(1, pandoc.Plain({ pandoc.Str(label) }))
  end
  el.caption.long = long
  return el
end

local function reference(citation, numbers)
  local id = citation.id
  local kind = id:match('^(%a+)%-')
  if not REFERABLE[kind] then
    if kind == 'eq' or kind == 'lst' or kind == 'thm' then
      fail('cross-reference @' .. id .. ': only @fig-, @tbl- and @sec- are supported')
    end
    return nil -- an ordinary citation: not ours
  end
  if not numbers[id] then
    fail('cross-reference @' .. id .. ' points to no ' .. KINDS[kind]:lower()
      .. ' (is #' .. id .. ' defined?)')
  end
  local bare = citation.mode == 'SuppressAuthor' -- -@fig-x gives the number alone
  if FORMAT == 'typst' then
    return pandoc.RawInline('typst', bare and ('#ref(<' .. id .. '>, supplement: none)')
      or ('@' .. id))
  end
  local text = bare and tostring(numbers[id]) or (KINDS[kind] .. '\u{A0}' .. numbers[id])
  return pandoc.Link(text, '#' .. id)
end

local function Cite(cite, numbers)
  local out = pandoc.Inlines({})
  for i, citation in ipairs(cite.citations) do
    local ref = reference(citation, numbers)
    if not ref then
      return nil
    end
    if i > 1 then
      out:extend({ pandoc.Str(i == #cite.citations and (' ' .. KINDS['and']) or ','),
        pandoc.Space() })
    end
    out:insert(ref)
  end
  return out
end

-- Generated pipe tables are padded to their longest cell, and pandoc turns long lines into
-- relative widths that squeeze short columns until headers overlap. Let the output format
-- size columns by their content instead, as for short tables.
local function auto_widths(tbl)
  for i, colspec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { colspec[1], nil }
  end
  return tbl
end

-- Typst keeps a table in one piece, which is best for short tables but pushes a table longer
-- than a page off its end: let long ones break (their header repeats on every page).
local LONG_TABLE_ROWS = 25

local function breakable(tbl)
  local rows = 0
  for _, body in ipairs(tbl.bodies) do
    rows = rows + #body.body
  end
  if FORMAT ~= 'typst' or rows <= LONG_TABLE_ROWS then
    return tbl
  end
  return { pandoc.RawBlock('typst',
      '#[#show figure: set block(breakable: true)\n#set figure(placement: none)'), tbl,
    pandoc.RawBlock('typst', ']') }
end

-- Images must exist: a missing figure is an error, not an empty box. --------------------

local function check_image(img)
  local src = img.src
  if not (src:match('^%a+:') or exists(src)) then
    fail('figure not found: ' .. src)
  end
end

-- Date ----------------------------------------------------------------------------------

local function resolve_date(meta)
  local date = meta.date and pandoc.utils.stringify(meta.date)
  if date == 'today' or date == 'last-modified' then
    local now = tonumber(os.getenv('SOURCE_DATE_EPOCH') or '') or os.time()
    local d = os.date('!*t', now)
    local month = KINDS.months[d.month]
    meta.date = KINDS == WORDS.fr and (d.day .. ' ' .. month .. ' ' .. d.year)
      or (month .. ' ' .. d.day .. ', ' .. d.year)
  end
end

-- Entry point ---------------------------------------------------------------------------

function Pandoc(doc)
  local inputs = PANDOC_STATE.input_files
  if #inputs == 0 or inputs[1] == '-' then
    fail('needs the document as a file argument (it re-reads it to expand shortcodes)')
  end
  local dir = pandoc.path.directory(inputs[1])
  variables_path = pandoc.path.join({ dir, '_variables.yml' })
  local sources = {}
  for _, path in ipairs(inputs) do
    sources[#sources + 1] = expand(read_file(path, 'document'), pandoc.path.directory(path), 0)
  end
  local new = pandoc.read(table.concat(sources, '\n\n'), 'markdown', PANDOC_READER_OPTIONS)
  for key, value in pairs(doc.meta) do -- keep metadata given on the command line
    if new.meta[key] == nil then
      new.meta[key] = value
    end
  end
  use_language(new.meta)
  resolve_date(new.meta)

  new = new:walk({ Div = Div })
  new:walk({ Image = check_image })
  local numbers = number_targets(new)
  return new:walk({
    Figure = function(el) return prefix_caption(el, numbers) end,
    Table = function(el) return breakable(prefix_caption(auto_widths(el), numbers) or el) end,
    Cite = function(el) return Cite(el, numbers) end,
  })
end
