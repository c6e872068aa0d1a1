// The checks of an HTML run report on the DOM in the browser: the
// expectations file's counts and attributes, then the contract's rules.
// report_rules.py is the same on the DOM that chromium dumps: the same
// rules, in the same order, with the same messages; keep them in step.
//
// checkPage runs inside the page (page.evaluate serialises it), so it
// uses nothing from this module's scope.

// The selector subset both harnesses accept (report_dom.py implements it
// without a browser): type, #id, .class, [attr], [attr=value] compounds,
// descendant and child combinators, comma lists.
const COMPOUND = /^(?:[A-Za-z][\w-]*|\*)?(?:#[\w-]+|\.[\w-]+|\[[A-Za-z][\w:-]*(?:=(?:"[^"]*"|'[^']*'|[\w-]+))?\])*$/;

export function selectorErrors(exp) {
  const sels = [...Object.keys(exp.counts || {}),
                ...Object.keys(exp.attributes || {})];
  const bad = [];
  for (const sel of sels) {
    for (const alt of sel.split(',')) {
      const toks = alt.match(/>|[^\s>]+/g) || [];
      const ok = toks.length > 0 && toks[0] !== '>' && toks[toks.length - 1] !== '>' &&
        toks.every((t) => t === '>' || COMPOUND.test(t));
      if (!ok) { bad.push(`expectations: selector outside the subset: '${sel}'`); break; }
    }
  }
  return bad;
}

export function checkPage(exp) {
  const out = [];
  const all = (sel, scope) => Array.from((scope || document).querySelectorAll(sel));
  const tag = (el) => el.localName;
  const cls = (el, c) => el.classList.contains(c);

  for (const [sel, want] of Object.entries(exp.counts || {})) {
    const n = all(sel).length;
    const [lo, hi] = Array.isArray(want) ? want : [want, want];
    if (n < lo || (hi !== null && n > hi))
      out.push(`count: ${sel}: ${n}, want ${Array.isArray(want) ? `${lo}..${hi}` : want}`);
  }
  for (const [sel, names] of Object.entries(exp.attributes || {})) {
    const els = all(sel);
    if (!els.length) out.push(`attributes: ${sel}: matches nothing`);
    els.forEach((el, i) => {
      const miss = names.filter((a) => !el.hasAttribute(a));
      if (miss.length) out.push(`attributes: ${sel} #${i + 1}: missing ${miss.join(', ')}`);
    });
  }

  // self-contained: nothing that loads or runs anything, no reference
  // outside the file (xmlns names a namespace and is never fetched).
  const LOADERS = new Set(['script', 'link', 'iframe', 'frame', 'object', 'embed', 'base',
    'img', 'audio', 'video', 'source', 'track', 'image']);
  const URL_ATTRS = new Set(['src', 'href', 'xlink:href', 'srcset', 'poster', 'action',
    'formaction', 'data', 'background', 'ping', 'manifest']);
  const OUTSIDE = /^\s*(?:(?:https?|ftp|file|data|javascript|blob|wss?):|\/\/)/i;
  const css = (text, where) => {
    if (/@import/i.test(text)) out.push(`self-contained: @import in ${where}`);
    for (const m of text.matchAll(/url\(\s*(['"]?)\s*([^'")\s]*)/gi))
      if (!m[2].startsWith('#')) out.push(`self-contained: url(${m[2]}) in ${where}`);
  };
  for (const el of all('*')) {
    if (LOADERS.has(tag(el)) || (tag(el) === 'meta' && el.hasAttribute('http-equiv')))
      out.push(`self-contained: <${tag(el)}> element`);
    for (const { name: raw, value } of Array.from(el.attributes)) {
      const name = raw.toLowerCase();
      if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
      if (name.startsWith('on')) out.push(`self-contained: ${name}= handler on <${tag(el)}>`);
      else if (URL_ATTRS.has(name) && value && !value.startsWith('#'))
        out.push(`self-contained: ${name}="${value}" on <${tag(el)}>`);
      else if (OUTSIDE.test(value) && !URL_ATTRS.has(name))
        out.push(`self-contained: ${name}="${value}" on <${tag(el)}>`);
      else if (name === 'style') css(value, `style of <${tag(el)}>`);
    }
    if (tag(el) === 'style') css(el.textContent, '<style>');
  }

  // sections: each starts with <h2>, known ids, in the contract's order.
  const ORDER = ['header', 'funnel', 'ranking', 'uncertainty', 'change', 'summary', 'decisions',
    'coherence'];
  const seen = [];
  all('section').forEach((s, i) => {
    const name = `section #${i + 1} (${s.id || 'no id'})`;
    if (!s.firstElementChild || tag(s.firstElementChild) !== 'h2')
      out.push(`sections: ${name} does not start with <h2>`);
    if (cls(s, 'cluster')) {
      if (!s.id.startsWith('cluster-')) out.push(`sections: ${name}: a cluster section's id is cluster-ID`);
      seen.push(ORDER.length);
    } else if (ORDER.includes(s.id)) seen.push(ORDER.indexOf(s.id));
    else out.push(`sections: ${name}: unknown section`);
  });
  if (seen.some((v, i) => i && v < seen[i - 1]))
    out.push(`sections: not in the contract's order ${ORDER.join(' ')} cluster-*`);

  // svg-labelled: <title> and <desc> first, named by aria-labelledby.
  all('svg[role=img]').forEach((svg, i) => {
    const name = `svg[role=img] #${i + 1}`;
    const ids = (svg.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    if (ids.length !== 2) {
      out.push(`svg-labelled: ${name}: aria-labelledby names ${ids.length} ids, not 2 (title, desc)`);
      return;
    }
    [['title', ids[0]], ['desc', ids[1]]].forEach(([t, want], pos) => {
      const k = svg.children[pos];
      if (!k || tag(k) !== t || k.id !== want)
        out.push(`svg-labelled: ${name}: child ${pos + 1} is ${k ? `<${tag(k)}>` : 'nothing'}, not <${t} id="${want}">`);
      else if (!k.textContent.trim()) out.push(`svg-labelled: ${name}: <${t}> is empty`);
    });
  });

  // chart-table: one svg then a figcaption, a table.data with numbers.
  const KINDS = ['funnel', 'ranking', 'uncertainty', 'change', 'counts', 'indicators',
    'scores', 'assessments'];
  all('figure.chart').forEach((f, i) => {
    const kind = f.getAttribute('data-chart') || '';
    const name = `figure.chart #${i + 1} (${kind || 'no data-chart'})`;
    if (!KINDS.includes(kind)) out.push(`chart-table: ${name}: unknown data-chart`);
    const tags = Array.from(f.children).map(tag);
    const svgs = Array.from(f.children).filter((c) => tag(c) === 'svg' && c.getAttribute('role') === 'img');
    if (svgs.length !== 1 || !tags.includes('figcaption') ||
        tags.indexOf('figcaption') < tags.indexOf('svg'))
      out.push(`chart-table: ${name}: not one svg[role=img] followed by a <figcaption>`);
    const tables = all('table.data', f);
    const nxt = f.nextElementSibling;
    if (nxt && tag(nxt) === 'table' && cls(nxt, 'data')) tables.push(nxt);
    if (!tables.some((t) => all('td', t).length))
      out.push(`chart-table: ${name}: no table.data with numbers beside it`);
  });

  // charts: ranking bars, cut-off and legend; the funnel's stages.
  all('figure.chart[data-chart=ranking]').forEach((f, i) => {
    const name = `ranking chart #${i + 1}`;
    const bars = all('g.bar', f);
    const ranks = bars.map((b) => b.getAttribute('data-rank') || '')
      .map((r) => (/^\d+$/.test(r) ? Number(r) : 0)).sort((a, b) => a - b);
    if (ranks.some((r, j) => r !== j + 1)) out.push(`charts: ${name}: data-rank is not 1..${bars.length}`);
    const sel = bars.map((b) => b.getAttribute('data-selected'));
    if (sel.some((s) => s !== '0' && s !== '1')) out.push(`charts: ${name}: data-selected not 0 or 1`);
    const crits = new Set();
    for (const b of bars) {
      const segs = all('rect.seg[data-criterion]', b);
      if (!segs.length)
        out.push(`charts: ${name}: bar ${b.getAttribute('data-cluster') || '?'} has no rect.seg[data-criterion]`);
      segs.forEach((s) => crits.add(s.getAttribute('data-criterion')));
    }
    const cut = all('line.cutoff', f).length;
    // Under the last selected bar, when an unselected one follows it (a
    // chart whose last bar is selected has its cut-off below the chart).
    const want = sel.includes('1') && sel[sel.length - 1] === '0' ? 1 : 0;
    if (cut !== want) out.push(`charts: ${name}: ${cut} line.cutoff, want ${want}`);
    const items = all('g.legend g.legend-item', f);
    if (all('g.legend', f).length !== 1 || items.length !== crits.size)
      out.push(`charts: ${name}: legend has ${items.length} items for ${crits.size} criteria`);
  });
  all('figure.chart[data-chart=funnel]').forEach((f, i) => {
    const n = all('g.stage', f).length;
    if (n === 0 || n % 4) out.push(`charts: funnel chart #${i + 1}: ${n} g.stage, not 4 per round`);
  });

  // unique-ids
  const ids = new Set();
  for (const el of all('[id]')) {
    if (ids.has(el.id)) out.push(`unique-ids: id "${el.id}" used twice`);
    ids.add(el.id);
  }
  return out;
}
