// paradex-mock dashboard (issue 16). Plain browser JavaScript, no build step.
//
// Reads: /_mock/ui/api/* (JSON, Decimals as strings). Live: /_mock/ui/events (server-sent
// events listing what changed, at most 5 a second); each message marks panels dirty and a
// refresher per panel fetches again, never two fetches of one panel at once, some of them at
// most once a second. Actions: the control API under /_mock, nothing else.
//
// Bounded for a page left open: the journal keeps at most JOURNAL_ROWS rows, trades and accounts
// are replaced (not appended), the book reuses its rows, the chart reuses its two series and is
// reloaded when it holds more than MAX_BARS bars.
'use strict';

(function () {
  const API = '/_mock/ui/api';
  const CTL = '/_mock';
  const JOURNAL_ROWS = 200;
  const BOOK_DEPTH = 12;
  const CANDLES = 300;
  const MAX_BARS = 1500;
  const SHOWN_ORDERS = 20;
  const SHOWN_FILLS = 10;
  const MARKET_KINDS = new Set(['trade', 'book', 'bbo', 'summary', 'scenario']);

  const S = {
    market: null, venues: [], resolution: 1, priceKind: 'mark',
    lastBarTime: null, bars: 0, chartKey: null,
    journalSeq: null, clock: null, clockOffset: 0, priceEdited: false,
    seed: null,
  };

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ small helpers
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  const pad = (n, w = 2) => String(n).padStart(w, '0');
  function hms(ms) {
    const d = new Date(ms);
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }
  function stamp(ms) {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${hms(ms)} UTC`;
  }
  const short = (addr) => (addr && addr.length > 14 ? `${addr.slice(0, 8)}…${addr.slice(-4)}` : (addr || '–'));
  const num = (s) => (s === null || s === undefined ? NaN : parseFloat(s));
  function decimals(tick) {
    const i = String(tick).indexOf('.');
    return i < 0 ? 0 : String(tick).length - i - 1;
  }
  // a duration in ms, coarsely: 42s, 3m 05s, 2h 07m, 3d 4h
  function span(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor(s / 3600) % 24}h`;
  }
  function signed(s) {
    const v = num(s);
    return el('span', { class: v > 0 ? 'up' : v < 0 ? 'down' : '' , text: s ?? '–' });
  }

  let toastTimer = null;
  function toast(text, bad) {
    const t = $('toast');
    t.textContent = text;
    t.className = 'toast show' + (bad ? ' bad' : '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.className = 'toast'; }, bad ? 6000 : 2500);
  }

  async function getJSON(path) {
    const r = await fetch(API + path, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  }

  // One call to the control API. Errors are shown, never thrown at the caller's caller.
  async function control(method, path, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    try {
      const r = await fetch(CTL + path, opts);
      const doc = await r.json().catch(() => ({}));
      if (!r.ok) {
        toast(`${method} ${CTL}${path}: ${doc.message || r.status}`, true);
        return null;
      }
      toast(`${method} ${CTL}${path}: ok`);
      return doc;
    } catch (e) {
      toast(`${method} ${CTL}${path}: ${e.message}`, true);
      return null;
    }
  }

  // A panel's refresher: calls never overlap; a call while one runs makes it run once more.
  // minGap (ms) spaces runs out for panels that need not follow every burst.
  function refresher(name, fn, minGap = 0) {
    let running = false, again = false, last = 0, timer = null;
    async function run() {
      if (running) { again = true; return; }
      const wait = last + minGap - Date.now();
      if (wait > 0) {
        if (!timer) timer = setTimeout(() => { timer = null; run(); }, wait);
        return;
      }
      running = true;
      try {
        do {
          again = false;
          last = Date.now();
          await fn();
        } while (again);
      } catch (e) {
        console.warn(`dashboard: refreshing ${name} failed:`, e.message);
      } finally {
        running = false;
      }
    }
    return run;
  }

  // ------------------------------------------------------------------ header and market list
  function renderClock() {
    if (!S.clock) return;
    const now = S.clock.mode === 'real' ? Date.now() + S.clockOffset : S.clock.now_ms;
    $('clock-time').textContent = stamp(now);
    const mode = $('clock-mode');
    mode.textContent = S.clock.mode;
    mode.className = 'pill ' + (S.clock.mode === 'manual' ? 'warn' : 'ok');
    $('advance').disabled = S.clock.mode !== 'manual';
    $('advance-seconds').disabled = S.clock.mode !== 'manual';
    $('clock-switch').textContent = S.clock.mode === 'manual' ? 'Switch to real' : 'Switch to manual';
  }

  function setClock(clock) {
    S.clock = clock;
    S.clockOffset = clock.now_ms - Date.now();
    renderClock();
  }

  const marketButtons = new Map();   // symbol -> {button, price}

  function renderMarkets(venues) {
    const nav = $('markets');
    const symbols = venues.flatMap((v) => v.markets.map((m) => m.symbol)).join(',');
    if (nav.dataset.symbols !== symbols) {         // rebuilt only when the set of markets changes
      nav.replaceChildren();
      marketButtons.clear();
      for (const v of venues) {
        const group = el('div', { class: 'venue' }, el('span', { class: 'venue-name', text: v.venue }));
        for (const m of v.markets) {
          const price = el('span', { class: 'mprice' });
          const b = el('button', { class: 'market', type: 'button', 'data-market': m.symbol,
                                   onclick: () => selectMarket(m.symbol) }, m.symbol, price);
          marketButtons.set(m.symbol, { button: b, price });
          group.append(b);
        }
        nav.append(group);
      }
      nav.dataset.symbols = symbols;
    }
    for (const v of venues) {
      for (const m of v.markets) {
        const mb = marketButtons.get(m.symbol);
        mb.price.textContent = m.mark ?? '';
        mb.button.classList.toggle('held', !!m.held);
        mb.button.classList.toggle('scripted', !!m.segment);
        mb.button.dataset.segment = m.segment || '';
        mb.button.title = `mark ${m.mark} · index ${m.index} · last ${m.last}` + (m.held ? ' · price held' : '')
          + (m.segment ? ` · scenario: ${m.segment}` : '');
        mb.button.classList.toggle('active', m.symbol === S.market);
      }
    }
  }

  const refreshOverview = refresher('overview', async () => {
    const o = await getJSON('/overview');
    if (S.seed !== null && o.seed !== S.seed) S.chartKey = null;
    S.seed = o.seed;
    S.venues = o.venues;
    $('seed').textContent = o.seed;
    $('system-state').textContent = o.system_state;
    $('system-select').value = o.system_state;
    $('auth-mode').textContent = o.auth_mode;
    setClock(o.clock);
    const all = o.venues.flatMap((v) => v.markets.map((m) => m.symbol));
    let chosen = false;
    if (!S.market || !all.includes(S.market)) {
      const fromHash = decodeURIComponent(location.hash.slice(1));
      S.market = all.includes(fromHash) ? fromHash : all[0] || null;
      S.priceEdited = false;
      S.chartKey = null;
      chosen = true;
    }
    renderMarkets(o.venues);
    if (chosen) refreshMarket();
    $('price-market').textContent = S.market || '–';
  }, 1000);

  // ------------------------------------------------------------------ chart
  let chart = null, candleSeries = null, volumeSeries = null;

  function initChart() {
    const LC = window.LightweightCharts;
    chart = LC.createChart($('chart'), {
      autoSize: true,
      layout: { background: { type: 'solid', color: '#10161e' }, textColor: '#b8c2cc', fontSize: 12,
                attributionLogo: true },
      grid: { vertLines: { color: '#1c2530' }, horzLines: { color: '#1c2530' } },
      rightPriceScale: { borderColor: '#2a3541', scaleMargins: { top: 0.08, bottom: 0.26 } },
      timeScale: { borderColor: '#2a3541', timeVisible: true, secondsVisible: false },
      crosshair: { mode: 0 },
    });
    candleSeries = chart.addSeries(LC.CandlestickSeries, {
      upColor: '#26a69a', downColor: '#ef5350', borderVisible: false,
      wickUpColor: '#26a69a', wickDownColor: '#ef5350',
    });
    volumeSeries = chart.addSeries(LC.HistogramSeries, {
      priceFormat: { type: 'volume' }, priceScaleId: 'volume', lastValueVisible: false, priceLineVisible: false,
    });
    volumeSeries.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  }

  function toBars(rows) {
    const candles = [], volumes = [];
    for (const [t, o, h, l, c, v] of rows) {
      const time = Math.floor(t / 1000);
      const open = num(o), close = num(c);
      candles.push({ time, open, high: num(h), low: num(l), close });
      volumes.push({ time, value: num(v), color: close >= open ? 'rgba(38,166,154,0.45)' : 'rgba(239,83,80,0.45)' });
    }
    return { candles, volumes };
  }

  function legend(doc) {
    const last = doc.candles.length ? doc.candles[doc.candles.length - 1] : null;
    const L = $('chart-legend');
    const parts = [
      el('span', null, 'mark ', el('b', { id: 'mark-price', text: doc.mark })),
      el('span', null, 'index ', el('b', { text: doc.index })),
      el('span', null, 'last ', el('b', { text: doc.last })),
    ];
    if (doc.held) parts.push(el('span', { class: 'pill warn', title: 'set by the control API; Release lets it walk', text: 'held' }));
    const sc = doc.scenario;
    if (sc) parts.push(segmentPill(sc));
    L.replaceChildren(...parts);
    if (last) {
      L.dataset.close = last[4];
      L.dataset.time = last[0];
    }
  }

  // the market's scenario (GET /_mock/scenario has it whole): the active segment and its time left,
  // else what comes next or that it is over
  function segmentPill(sc) {
    const a = sc.active, n = sc.next;
    let text, cls = 'pill scenario', title = `scenario: ${sc.segments} segment(s), ending ${stamp(sc.ends_ms)}`;
    if (a) {
      text = `${a.kind} #${a.index} · ${span(a.left_ms)} left`;
      cls += ' on';
      title += ` · this one ${stamp(a.start_ms)} → ${stamp(a.end_ms)}`;
    } else if (n) {
      text = `next: ${n.kind} #${n.index}`;
      title += ` · next at ${stamp(n.start_ms)}`;
    } else {
      text = 'scenario over';
    }
    return el('span', { id: 'segment', class: cls, title, 'data-kind': a ? a.kind : '',
                        'data-index': a ? a.index : '', 'data-left-ms': a ? a.left_ms : '' }, text);
  }

  async function loadMarket(full) {
    const sym = S.market;
    if (!sym) return;
    const key = `${sym}|${S.resolution}|${S.priceKind}|${S.seed}`;
    if (key !== S.chartKey) full = true;
    const q = new URLSearchParams({ depth: BOOK_DEPTH, resolution: S.resolution, price: S.priceKind, trades: 40 });
    if (!full && S.lastBarTime !== null) q.set('since', S.lastBarTime);
    else q.set('candles', CANDLES);
    const doc = await getJSON(`/market/${encodeURIComponent(sym)}?${q}`);
    if (sym !== S.market) return;     // the user switched meanwhile; that switch loads its own
    const { candles, volumes } = toBars(doc.candles);
    const lastTime = S.lastBarTime === null ? null : Math.floor(S.lastBarTime / 1000);
    const goesBack = !full && candles.length && lastTime !== null && candles[0].time < lastTime;
    if (full || goesBack || S.bars > MAX_BARS) {
      if (!full) {                    // time went back (a reset or restore) or too many bars: reload
        S.chartKey = null;
        return loadMarket(true);
      }
      const prec = decimals(doc.tick);
      candleSeries.applyOptions({ priceFormat: { type: 'price', precision: prec, minMove: num(doc.tick) } });
      candleSeries.setData(candles);
      volumeSeries.setData(volumes);
      S.bars = candles.length;
      S.chartKey = key;
      chart.timeScale().scrollToRealTime();
    } else {
      for (let i = 0; i < candles.length; i++) {
        if (lastTime === null || candles[i].time > lastTime) S.bars += 1;
        candleSeries.update(candles[i]);
        volumeSeries.update(volumes[i]);
      }
    }
    if (doc.candles.length) S.lastBarTime = doc.candles[doc.candles.length - 1][0];
    $('chart-title').textContent = `${doc.symbol}`;
    $('chart').dataset.market = doc.symbol;
    legend(doc);
    renderBook(doc);
    renderTrades(doc);
    if (!S.priceEdited) $('price-input').value = doc.mark;
  }
  const refreshMarket = refresher('market', () => loadMarket(false));

  function selectMarket(sym) {
    if (sym === S.market) return;
    S.market = sym;
    S.lastBarTime = null;
    S.chartKey = null;
    S.priceEdited = false;
    history.replaceState(null, '', '#' + encodeURIComponent(sym));
    $('price-market').textContent = sym;
    for (const [s, mb] of marketButtons) mb.button.classList.toggle('active', s === sym);
    refreshMarket();
  }

  // ------------------------------------------------------------------ book and trades
  const bookRows = { asks: [], bids: [] };

  function bookRow(tbody, list) {
    const price = el('td', { class: 'price' }), size = el('td', { class: 'size' });
    const tr = el('tr', null, price, size);
    tbody.append(tr);
    list.push({ tr, price, size });
  }

  function initBook() {
    for (let i = 0; i < BOOK_DEPTH; i++) bookRow($('book-asks'), bookRows.asks);
    for (let i = 0; i < BOOK_DEPTH; i++) bookRow($('book-bids'), bookRows.bids);
  }

  function fillSide(rows, levels, maxSize, cls) {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i], lv = levels[i];
      r.price.textContent = lv ? lv[0] : '';
      r.size.textContent = lv ? lv[1] : '';
      r.tr.className = lv ? cls : 'empty';
      r.tr.style.setProperty('--depth', lv ? `${Math.min(100, (num(lv[1]) / maxSize) * 100).toFixed(1)}%` : '0%');
    }
  }

  function renderBook(doc) {
    const { bids, asks } = doc.book;
    const maxSize = Math.max(1e-12, ...bids.map((l) => num(l[1])), ...asks.map((l) => num(l[1])));
    // asks: best at the bottom, next to the spread
    const asksTopDown = asks.slice(0, BOOK_DEPTH).reverse();
    const padded = Array(BOOK_DEPTH - asksTopDown.length).fill(null).concat(asksTopDown);
    fillSide(bookRows.asks, padded, maxSize, 'ask');
    fillSide(bookRows.bids, bids.slice(0, BOOK_DEPTH), maxSize, 'bid');
    const bb = bids.length ? bids[0][0] : null, ba = asks.length ? asks[0][0] : null;
    $('book-spread').textContent = bb && ba
      ? `bid ${bb} · ask ${ba} · spread ${(num(ba) - num(bb)).toFixed(decimals(doc.tick))}`
      : 'one side empty';
    $('book').dataset.bestBid = bb || '';
    $('book').dataset.bestAsk = ba || '';
    $('book-seq').textContent = doc.book.seq_no != null ? `seq ${doc.book.seq_no}` : '';
  }

  function renderTrades(doc) {
    const rows = doc.trades.map((t) => el('tr', { class: t.side === 'BUY' ? 'bid' : 'ask', title: `${t.type} ${t.id}` },
      el('td', { text: hms(t.created_at) }), el('td', { class: 'price', text: t.price }),
      el('td', { class: 'size', text: t.size })));
    $('trades').replaceChildren(...rows);
  }

  // ------------------------------------------------------------------ accounts
  function table(headers, rows) {
    return el('table', { class: 'grid compact' },
      el('thead', null, el('tr', null, ...headers.map((h) => el('th', { text: h })))),
      el('tbody', null, ...rows));
  }

  function accountCard(a) {
    const head = el('div', { class: 'acct-head' },
      el('span', { class: 'addr', title: a.address, text: short(a.address) }),
      el('span', null, 'balance ', el('b', { class: 'balance', text: a.balance })),
      el('span', null, 'value ', el('b', { text: a.account_value })),
      el('span', null, 'free ', el('b', { text: a.free_collateral })),
      el('span', { class: 'pill ' + (a.status === 'ACTIVE' ? 'ok' : 'bad'), text: a.status }));
    const parts = [head];
    if (a.positions.length) {
      parts.push(table(['market', 'side', 'size', 'entry', 'mark', 'uPnL', 'liq.'], a.positions.map((p) =>
        el('tr', null, el('td', { text: p.market }), el('td', { class: p.side === 'LONG' ? 'up' : 'down', text: p.side }),
          el('td', { text: p.size }), el('td', { text: p.avg_entry }), el('td', { text: p.mark }),
          el('td', null, signed(p.unrealized_pnl)), el('td', { text: p.liquidation_price ?? '–' })))));
    }
    if (a.open_orders.length) {
      const more = a.open_orders_total > SHOWN_ORDERS ? ` (newest ${SHOWN_ORDERS} of ${a.open_orders_total})` : '';
      parts.push(el('div', { class: 'sub', text: `open orders: ${a.open_orders_total}${more}` }));
      parts.push(table(['id', 'market', 'side', 'type', 'price', 'size', 'left', 'status'],
        a.open_orders.slice(0, SHOWN_ORDERS).map((o) =>
          el('tr', { class: 'order', 'data-order-id': o.id },
            el('td', { class: 'mono', title: o.id, text: '…' + o.id.slice(-6) }), el('td', { text: o.market }),
            el('td', { class: o.side === 'BUY' ? 'up' : 'down', text: o.side }), el('td', { text: o.type }),
            el('td', { text: o.type === 'MARKET' ? 'market' : o.price }), el('td', { text: o.size }),
            el('td', { text: o.remaining }), el('td', { text: o.status })))));
    }
    if (a.fills.length) {
      parts.push(el('div', { class: 'sub', text: `fills: ${a.fills_total}` + (a.fills_total > SHOWN_FILLS ? ` (newest ${SHOWN_FILLS})` : '') }));
      parts.push(table(['time', 'market', 'side', 'price', 'size', 'fee', 'liq.'],
        a.fills.slice(0, SHOWN_FILLS).map((f) =>
          el('tr', { class: 'fill', 'data-order-id': f.order_id },
            el('td', { text: hms(f.created_at) }), el('td', { text: f.market }),
            el('td', { class: f.side === 'BUY' ? 'up' : 'down', text: f.side }), el('td', { text: f.price }),
            el('td', { text: f.size }), el('td', { text: f.fee }), el('td', { text: f.liquidity === 'MAKER' ? 'maker' : 'taker' })))));
    }
    if (!a.positions.length && !a.open_orders.length && !a.fills.length) {
      parts.push(el('div', { class: 'sub muted', text: 'no positions, orders or fills' }));
    }
    return el('div', { class: 'account', 'data-address': a.address }, ...parts);
  }

  let positionsShown = false;
  const refreshAccounts = refresher('accounts', async () => {
    const doc = await getJSON('/accounts');
    positionsShown = doc.results.some((a) => a.positions.length > 0);
    $('accounts').replaceChildren(...doc.results.map(accountCard));
    $('accounts-count').textContent = doc.total > doc.results.length
      ? `${doc.results.length} most recently active of ${doc.total}` : `${doc.total}`;
  });
  // marks move positions' PnL: while positions are shown, follow them, at most once a second
  const refreshAccountsOnMark = refresher('accounts (marks)', async () => { refreshAccounts(); }, 1000);

  // ------------------------------------------------------------------ journal
  function journalQuery() {
    const q = new URLSearchParams({ limit: JOURNAL_ROWS });
    const path = $('filter-path').value.trim(), acct = $('filter-account').value.trim();
    const status = $('filter-status').value.trim();
    if (path) q.set('path', path);
    if (acct) q.set('account', acct);
    if (status) q.set('status', status);
    if ($('filter-faulted').checked) q.set('faulted', '1');
    if ($('filter-kind').value) q.set('kind', $('filter-kind').value);
    return q;
  }

  // a scenario's transition: the market, what changed, the segment and its span on the clock
  function scenarioRow(e) {
    const what = e.change === 'installed' ? `scenario installed: ${e.segments} segment(s)`
      : e.change === 'cleared' ? 'scenario cleared' + (e.segment ? ` during ${e.segment} #${e.index}` : '')
      : `${e.segment} #${e.index} ${e.change}`;
    const spanText = e.start_ms != null ? `${hms(e.start_ms)} → ${hms(e.end_ms)}` : '';
    return el('tr', { class: `scenario ${e.change}`, 'data-seq': e.seq, 'data-kind': 'scenario',
                      'data-method': e.method, 'data-path': e.path, 'data-market': e.market,
                      'data-change': e.change, 'data-segment': e.segment || '', 'data-index': e.index ?? '' },
      el('td', { class: 'muted', text: e.seq }), el('td', { text: hms(e.at) }),
      el('td', null, el('span', { class: 'pill scenario on', text: 'scenario' })),
      el('td', { class: 'path', title: `${e.market}: ${what}`, text: `${e.market}: ${what}` }),
      el('td', { text: '–' }), el('td', { text: '' }),
      el('td', { class: 'muted', colspan: 2, text: spanText }));
  }

  function journalRow(e) {
    if (e.kind === 'scenario') return scenarioRow(e);
    const faulted = e.faults && e.faults.length;
    const cls = [faulted ? 'faulted' : '', e.status >= 400 ? 'error' : ''].join(' ').trim();
    const path = e.path + (e.query ? '?' + e.query : '');
    return el('tr', { class: cls || null, 'data-seq': e.seq, 'data-kind': e.kind || 'request',
                      'data-method': e.method, 'data-path': e.path,
                      'data-account': e.account || '', 'data-status': e.status },
      el('td', { class: 'muted', text: e.seq }), el('td', { text: hms(e.at) }),
      el('td', { text: e.method + (e.via === 'ws' ? ' (ws)' : '') }),
      el('td', { class: 'path', title: path, text: path }),
      el('td', { class: 'mono', title: e.account || '', text: e.account ? short(e.account) : '–' }),
      el('td', { class: e.status >= 400 ? 'down' : '', text: e.status }),
      el('td', { text: e.latency_ms }),
      el('td', null, ...(e.faults || []).map((f) => el('span', { class: 'pill bad', text: f }))));
  }

  let journalRestart = true;
  const refreshJournal = refresher('journal', async () => {
    const q = journalQuery();
    const restart = journalRestart;
    journalRestart = false;
    if (!restart && S.journalSeq !== null) q.set('after', S.journalSeq);
    const doc = await getJSON('/journal?' + q);
    const tbody = $('journal');
    if (restart) tbody.replaceChildren();
    if (doc.results.length) tbody.prepend(...doc.results.map(journalRow));
    while (tbody.rows.length > JOURNAL_ROWS) tbody.deleteRow(-1);
    S.journalSeq = doc.seq;
    $('journal-count').textContent = `${tbody.rows.length} shown (newest first, at most ${JOURNAL_ROWS})`;
  });

  function restartJournal() {
    journalRestart = true;
    refreshJournal();
  }

  // ------------------------------------------------------------------ faults and rate limits
  function faultParams(r) {
    const p = [];
    if (r.kind === 'error') p.push(`status ${r.status}`);
    if (r.ms) p.push(`${r.ms} ms` + (r.jitter_ms ? ` ±${r.jitter_ms}` : ''));
    if (r.probability < 1) p.push(`p=${r.probability}`);
    return p.join(', ') || '–';
  }

  let faultKindsShown = false;
  const refreshFaults = refresher('faults', async () => {
    const doc = await getJSON('/faults');
    if (!faultKindsShown && doc.kinds.length) {
      $('fault-kind').replaceChildren(...doc.kinds.map((k) => el('option', { value: k, text: k })));
      $('fault-kind').value = doc.kinds.includes('error') ? 'error' : doc.kinds[0];
      $('fault-status').replaceChildren(...doc.error_statuses.map((s) => el('option', { value: s, text: s })));
      $('fault-status').value = doc.error_statuses.includes(503) ? '503' : String(doc.error_statuses[0]);
      faultKindsShown = true;
      faultFormState();
    }
    $('faults').replaceChildren(...doc.faults.map((r) => el('tr', { 'data-fault-id': r.id },
      el('td', { text: r.id }), el('td', { text: r.kind }), el('td', { class: 'path', title: r.target, text: r.target }),
      el('td', { text: faultParams(r) }), el('td', { text: `${r.fired}${r.count != null ? ' / ' + r.count : ''}` }),
      el('td', null, el('button', { type: 'button', class: 'small', title: `DELETE /_mock/faults/${r.id}`,
        onclick: async () => { await control('DELETE', `/faults/${r.id}`); refreshFaults(); } }, 'remove')))));
    if (!doc.faults.length) $('faults').append(el('tr', null, el('td', { colspan: 6, class: 'muted', text: 'no fault rules' })));
    const counts = Object.entries(doc.counts || {}).map(([k, v]) => `${k} ${v}`).join(' · ');
    $('fault-counts').textContent = counts ? `fired: ${counts}` : 'none fired';
  });

  // requests move the fired counts: follow them at most once a second
  const refreshFaultCounts = refresher('fault counts', async () => { refreshFaults(); }, 1000);

  function faultFormState() {
    const k = $('fault-kind').value;
    $('fault-status').hidden = k !== 'error';
    $('fault-ms-label').hidden = !(k === 'latency' || k === 'ws_delay');
  }

  const refreshLimits = refresher('limits', async () => {
    const doc = await getJSON('/rate_limits');
    $('limits-enabled').checked = doc.enabled;
    $('limits-state').textContent = doc.enabled ? 'on' : 'off';
    const rows = [];
    for (const b of doc.buckets) {
      const frac = b.limit ? b.remaining / b.limit : 1;
      rows.push(el('tr', { class: frac < 0.1 ? 'error' : null },
        el('td', { text: `${b.group} ${b.limit}/${b.window_s}s` }),
        el('td', { class: 'mono', title: b.who, text: `${b.key} ${short(b.who)}` }),
        el('td', { class: 'meter', style: `--fill:${(frac * 100).toFixed(0)}%`, text: `${b.remaining}/${b.limit}` })));
    }
    if (!rows.length) {
      for (const [g, rules] of Object.entries(doc.limits)) {
        rows.push(el('tr', null, el('td', { text: g }),
          el('td', { text: rules.map((r) => r.key).join(', ') }),
          el('td', { class: 'muted', text: rules.map((r) => `${r.limit}/${r.window_s}s`).join(', ') })));
      }
    }
    if (doc.buckets_total > doc.buckets.length) {
      rows.push(el('tr', null, el('td', { colspan: 3, class: 'muted', text: `${doc.buckets_total - doc.buckets.length} fuller buckets not shown` })));
    }
    $('limits').replaceChildren(...rows);
  }, 1000);

  // ------------------------------------------------------------------ live updates
  function refreshAll() {
    refreshOverview();
    refreshMarket();
    refreshAccounts();
    restartJournal();
    refreshFaults();
    refreshLimits();
  }

  const live = { messages: 0, since: Date.now() };
  window.paradexDashboard = { live, state: S, get candles() { return candleSeries; } };

  function onMessage(msg) {
    live.messages += 1;
    if (msg.hello) {
      setClock(msg.clock);
      refreshAll();
      return;
    }
    if (msg.truncated) { refreshAll(); return; }
    let market = false, accounts = false, overview = false, faults = false, reset = false;
    for (const c of msg.changes) {
      if (c.kind === 'reset') reset = true;
      else if (c.kind === 'faults') faults = true;
      else if (c.kind === 'tick') overview = true;
      if (c.account) accounts = true;
      if (c.market && c.market === S.market && MARKET_KINDS.has(c.kind)) market = true;
      if (c.kind === 'summary' || c.kind === 'scenario') overview = true;
    }
    if (reset) {
      S.chartKey = null;
      refreshAll();
      return;
    }
    if (market) refreshMarket();
    if (accounts) refreshAccounts();
    else if (overview && positionsShown) refreshAccountsOnMark();
    if (overview) refreshOverview();
    if (faults) refreshFaults();
    if (msg.journal !== undefined) {
      refreshJournal();
      refreshFaultCounts();      // fired counts and rate-limit buckets move with requests
      refreshLimits();
    }
  }

  function connect() {
    const pill = $('live');
    const es = new EventSource('/_mock/ui/events');
    es.onopen = () => { pill.textContent = 'live'; pill.className = 'pill ok'; };
    es.onerror = () => { pill.textContent = 'reconnecting'; pill.className = 'pill bad'; };
    es.onmessage = (ev) => {
      try { onMessage(JSON.parse(ev.data)); } catch (e) { console.warn('dashboard: bad event', e.message); }
    };
  }

  // ------------------------------------------------------------------ controls
  function wire() {
    $('price-input').addEventListener('input', () => { S.priceEdited = true; });
    $('price-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const price = $('price-input').value.trim();
      if (!S.market || !price) return;
      const doc = await control('POST', `/markets/${encodeURIComponent(S.market)}/price`, { price, hold: true });
      if (doc) { S.priceEdited = false; refreshMarket(); refreshOverview(); }
    });
    $('price-release').addEventListener('click', async () => {
      if (!S.market) return;
      if (await control('DELETE', `/markets/${encodeURIComponent(S.market)}/price`)) refreshOverview();
    });
    $('clock-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const seconds = parseFloat($('advance-seconds').value);
      if (!(seconds >= 0)) return;
      const doc = await control('POST', '/clock/advance', { seconds });
      if (doc) setClock(doc);
    });
    $('clock-switch').addEventListener('click', async () => {
      const mode = S.clock && S.clock.mode === 'manual' ? 'real' : 'manual';
      const doc = await control('POST', '/clock', { mode });
      if (doc) setClock(doc);
    });
    $('system-select').addEventListener('change', async () => {
      await control('POST', '/system/state', { status: $('system-select').value });
      refreshOverview();
    });
    $('limits-enabled').addEventListener('change', async () => {
      await control('POST', '/rate_limits', { enabled: $('limits-enabled').checked });
      refreshLimits();
    });
    $('fault-kind').addEventListener('change', faultFormState);
    $('fault-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const kind = $('fault-kind').value;
      const rule = { kind, target: $('fault-target').value.trim() || '*' };
      const p = parseFloat($('fault-probability').value);
      if (p >= 0 && p < 1) rule.probability = p;
      const count = $('fault-count').value.trim();
      if (count !== '') rule.count = parseInt(count, 10);
      if (kind === 'error') rule.status = parseInt($('fault-status').value, 10);
      if (kind === 'latency' || kind === 'ws_delay') rule.ms = parseInt($('fault-ms').value || '0', 10);
      if (await control('POST', '/faults', rule)) refreshFaults();
    });
    $('fault-clear').addEventListener('click', async () => {
      if (await control('DELETE', '/faults')) refreshFaults();
    });
    let resetArmed = null;
    $('reset').addEventListener('click', async () => {
      const b = $('reset');
      if (!resetArmed) {                  // two clicks, no dialog: reset clears accounts and journal
        b.textContent = 'Click again to reset';
        resetArmed = setTimeout(() => { resetArmed = null; b.textContent = 'Reset'; }, 3000);
        return;
      }
      clearTimeout(resetArmed);
      resetArmed = null;
      b.textContent = 'Reset';
      if (await control('POST', '/reset', {})) { S.chartKey = null; refreshAll(); }
    });
    let filterTimer = null;
    const filterChanged = () => {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(restartJournal, 250);
    };
    // a select may report only "change" (a scripted pick does); both land on one debounced restart
    $('journal-filter').addEventListener('input', filterChanged);
    $('journal-filter').addEventListener('change', filterChanged);
    $('journal-filter').addEventListener('submit', (ev) => { ev.preventDefault(); restartJournal(); });
    $('resolution').addEventListener('change', () => { S.resolution = parseInt($('resolution').value, 10); refreshMarket(); });
    $('price-kind').addEventListener('change', () => { S.priceKind = $('price-kind').value; refreshMarket(); });
    setInterval(() => { if (S.clock && S.clock.mode === 'real') renderClock(); }, 1000);
  }

  initBook();
  initChart();
  wire();
  connect();
})();
