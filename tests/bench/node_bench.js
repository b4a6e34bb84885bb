// Contender 4: the Node SDK wechatpay-axios-plugin (0.9.6), doing the same
// work as the C contenders with its own pieces: Hash.sign for the signature,
// Transformer.toXml to serialise, Transformer.toObject to parse, Hash.sign +
// Hash.equals to verify (the SDK's verifier, with the algorithm fixed to
// HMAC-SHA256 instead of guessed from the length of sign).
//
//   node node_bench.js NODE_MODULES_DIR BENCH_DIR ROUNDS BATCH_MS
//
// BENCH_DIR holds the bodies the C program wrote (the known answers): the
// built requests must equal them byte for byte before anything is timed.
// Prints the same tab-separated lines as the C program. Heap allocations are
// not countable here (V8's garbage-collected heap): reported as n/a.
'use strict';

const fs = require('fs');
const path = require('path');

const [modulesArg, dir, roundsArg, msArg] = process.argv.slice(2);
const modules = path.resolve(modulesArg);
const pkg = path.join(modules, 'wechatpay-axios-plugin');
const Hash = require(path.join(pkg, 'lib', 'hash'));
const Transformer = require(path.join(pkg, 'lib', 'transformer'));
const { version } = require(path.join(pkg, 'package.json'));
let fxpVersion = '?';
try {
  fxpVersion = require(path.join(modules, 'fast-xml-parser', 'package.json')).version;
} catch (e) { /* nested install: leave it unknown */ }

const ROUNDS = Math.max(3, parseInt(roundsArg, 10) || 41);
const TARGET_NS = (parseFloat(msArg) || 3) * 1e6;

const KEY = '192006250b4c09247ec02edce69f6a2d';
const APPID = 'wx8888888888888888';
const MCHID = '1900000109';
const OTN = '1217752501201407033233368018';
const NONCE = 'ibuaiVcKdpRxkhJA';
const HMAC = Hash.ALGO_HMAC_SHA256;
const CONFIG = { url: '/v2/pay/closecombinedorder', method: 'POST' };

const two = (i) => String(i).padStart(2, '0');
const SUBS = Array.from({ length: 10 }, (_, i) => [`19000090${two(i + 1)}`, `OD2017080300${two(i + 1)}`]);
const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
const BODY1 = read('body1.xml');
const BODY10 = read('body10.xml');
const RESP_OK = read('resp_ok.xml');
const RESP_FAIL = read('resp_fail.xml');
const RESP_WRONG_KEY = read('resp_wrong_key.xml');

function build(n) {
  const list = SUBS.slice(0, n).map(([mchid, outTradeNo]) => ({ mchid, out_trade_no: outTradeNo }));
  const data = {
    combine_appid: APPID,
    combine_mch_id: MCHID,
    sign_type: HMAC,
    combine_out_trade_no: OTN,
    // PHP's json_encode escapes '/', as the seed SDK sends it
    sub_order_list: JSON.stringify(list).replace(/\//g, '\\/'),
    nonce_str: NONCE,
  };
  data.sign = Hash.sign(HMAC, data, KEY);
  return Transformer.toXml.call(CONFIG, data);
}

const OUTCOME = { ORDERCLOSED: 'already_closed', ORDERPAID: 'paid', ORDERNOTEXIST: 'not_found' };

function parse(body) {
  const obj = Transformer.toObject.call({}, body);
  if (!obj || (obj.return_code !== 'SUCCESS' && obj.return_code !== 'FAIL')) throw new Error('malformed');
  if (obj.sign) {
    if (!Hash.equals(Hash.sign(HMAC, obj, KEY), obj.sign)) throw new Error('bad signature');
  } else if (obj.return_code !== 'FAIL') {
    throw new Error('unsigned');
  }
  if (obj.return_code === 'FAIL') return 'rejected';
  if (obj.combine_appid !== APPID || obj.combine_mch_id !== MCHID) throw new Error('echo mismatch');
  if (obj.result_code === 'SUCCESS') return 'closed';
  if (obj.result_code === 'FAIL') return OUTCOME[obj.err_code] || 'other';
  throw new Error('malformed');
}

let sink = 0;
const OPS = {
  build1: () => { sink += build(1).length; },
  build10: () => { sink += build(10).length; },
  parse_ok: () => { if (parse(RESP_OK) !== 'closed') throw new Error('parse_ok'); },
  parse_fail: () => { if (parse(RESP_FAIL) !== 'already_closed') throw new Error('parse_fail'); },
  exchange: () => {
    sink += build(1).length;
    if (parse(RESP_OK) !== 'closed') throw new Error('exchange');
  },
};

function fail(op, why) {
  process.stdout.write(`fail\tnode\t${op}\t${why}\n`);
  process.stderr.write(`!!! FAIL node ${op}: ${why}\n`);
  process.exit(1);
}

process.stdout.write(`contender\tnode\tNode SDK wechatpay-axios-plugin (Hash.sign + Transformer)\t`
  + `node ${process.version}, wechatpay-axios-plugin ${version}, fast-xml-parser ${fxpVersion}\n`);

// the known answers first
if (build(1) !== BODY1) fail('build1', `body differs: ${build(1).slice(0, 300)}`);
if (build(10) !== BODY10) fail('build10', `body differs: ${build(10).slice(0, 300)}`);
try {
  OPS.parse_ok();
  OPS.parse_fail();
} catch (e) {
  fail('parse', String(e.message));
}
let refused = false;
try { parse(RESP_WRONG_KEY); } catch (e) { refused = e.message === 'bad signature'; }
if (!refused) fail('parse_ok', 'a response signed with another key was not refused');

// BENCH_CLOCK=cpu (default): the process's CPU time (user + system, every
// V8 thread: garbage collection is part of the cost), so the time the
// scheduler gives to other programs is not counted; BENCH_CLOCK=wall: hrtime.
const WALL = process.env.BENCH_CLOCK === 'wall';
const now = WALL
  ? () => Number(process.hrtime.bigint())
  : () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };
process.stdout.write(`info\tclock_node\t${WALL ? 'wall time (process.hrtime)' : 'process CPU time (process.cpuUsage, 1 us resolution)'}\n`);
function batch(fn, n) {
  const t0 = now();
  for (let i = 0; i < n; i += 1) fn();
  return now() - t0;
}

const names = Object.keys(OPS);
const cells = names.map((op) => {
  const fn = OPS[op];
  batch(fn, 3000); // let the JIT settle
  let iters = 1;
  for (;;) {
    const t = Math.min(batch(fn, iters), batch(fn, iters), batch(fn, iters));
    if (t >= TARGET_NS / 8 || iters > 1 << 24) {
      iters = Math.max(1, Math.floor((iters * TARGET_NS) / Math.max(t, 1)));
      break;
    }
    iters *= 2;
  }
  return { op, fn, iters, ns: [] };
});

for (let r = 0; r < ROUNDS; r += 1) {
  for (let k = 0; k < cells.length; k += 1) {
    const c = cells[(k + r) % cells.length];
    c.ns.push(batch(c.fn, c.iters) / c.iters);
  }
}

function quantile(sorted, q) {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  if (i >= sorted.length - 1) return sorted[sorted.length - 1];
  return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

for (const c of cells) {
  const s = c.ns.slice().sort((a, b) => a - b);
  const f = (x) => x.toFixed(1);
  process.stdout.write(`cell\t${c.op}\tnode\t${f(quantile(s, 0.5))}\t${f(s[0])}\t${f(s[s.length - 1])}\t`
    + `${f(quantile(s, 0.25))}\t${f(quantile(s, 0.75))}\tn/a\tn/a\t${c.iters}\t${ROUNDS}\n`);
}
if (sink === 0.5) process.stdout.write('');
