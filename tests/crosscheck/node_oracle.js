// Node oracle for the cross-check suite: the WeChat Pay Node SDK
// (wechatpay-axios-plugin 0.9.6) signs, serialises and parses what
// tests/crosscheck/check.py hands it.
//
//   node node_oracle.js NODE_MODULES_DIR < requests.jsonl > answers.jsonl
//
// One JSON object per line in, one per line out, same order. Keys are hex
// (passed to the SDK as Buffers, so any bytes work). Operations:
//   {"op":"version"}                         -> {"version":"0.9.6"}
//   {"op":"sign","key":HEX,"fields":[[k,v]...]}
//        -> {"sign": Hash.sign('HMAC-SHA256', fields, key)}
//   {"op":"build","key":HEX,"appid","mchid","otn","nonce","json"|null,"subs":[[m,o]...]}
//        -> {"body": the SDK's request transform (signer + toXml)}
//        sub_order_list is the caller's JSON, or JSON.stringify of the
//        sub-orders with '/' escaped as PHP's json_encode does.
//   {"op":"parse","body":STR}                -> {"fields": Transformer.toObject(body)}
//   {"op":"resign","key":HEX,"body":STR}
//        -> {"fields": toObject(body), "sign": Hash.sign of those fields}
//   {"op":"qbuild","key":HEX,"appid","mchid","otn","nonce"}
//        -> {"body": the query request through the same pipeline, fields in
//            the order combine_appid, combine_mch_id, sign_type,
//            combine_out_trade_no, nonce_str}
//   {"op":"v2answer","key":HEX,"fields":[[k,v]...]}
//        -> {"sign": Hash.sign('HMAC-SHA256', fields, key),
//            "body": Transformer.toXml of the fields with that sign}
// APIv3 (lib/formatter.js, lib/rsa.js; key files are read once):
//   {"op":"v3req","method"?,"path","ts","nonce","body","mchid","serial","sig","keyfile","obj","base"}
//        -> {"message": Formatter.request(method or 'POST', path, ts, nonce, body),
//            "authorization": Formatter.authorization(mchid, nonce, sig, ts, serial),
//            "signature": Rsa.sign(message, private key of keyfile),
//            "json": JSON.stringify(obj), "pathname": new URL(path, base).pathname}
//   {"op":"v3resp","ts","nonce","body","keyfile"}
//        -> {"message": Formatter.response(ts, nonce, body),
//            "signature": Rsa.sign(message, private key of keyfile)}
// An exception is answered with {"error": message}.
'use strict';

const path = require('path');
const readline = require('readline');

const root = path.resolve(process.argv[2] || 'node_modules');
const pkg = path.join(root, 'wechatpay-axios-plugin');
const Hash = require(path.join(pkg, 'lib', 'hash'));
const Transformer = require(path.join(pkg, 'lib', 'transformer'));
const Formatter = require(path.join(pkg, 'lib', 'formatter'));
const Rsa = require(path.join(pkg, 'lib', 'rsa'));
const { version } = require(path.join(pkg, 'package.json'));

const HMAC = Hash.ALGO_HMAC_SHA256;

// Object.fromEntries keeps insertion order for non-index keys; the checker
// only sends names that start with a letter or '_', so no key is reordered.
function objectOf(pairs) {
  const o = Object.create(null);
  for (const [k, v] of pairs) o[k] = v;
  return { ...o };
}

function phpJson(subs) {
  const list = subs.map(([mchid, outTradeNo]) => ({ mchid, out_trade_no: outTradeNo }));
  // JSON.stringify never writes '/' itself inside an escape, so a global
  // replace gives exactly PHP's default '\/'.
  return JSON.stringify(list).replace(/\//g, '\\/');
}

function build(req) {
  const key = Buffer.from(req.key, 'hex');
  const data = {
    combine_appid: req.appid,
    combine_mch_id: req.mchid,
    sign_type: HMAC,
    combine_out_trade_no: req.otn,
    sub_order_list: req.json === null ? phpJson(req.subs) : req.json,
    nonce_str: req.nonce,
  };
  const transformer = new Transformer(req.mchid, key);
  // the SDK's own request pipeline: signer, then the XML stringifier
  const config = { url: '/v2/pay/closecombinedorder', method: 'POST' };
  const signed = transformer.signer.call(config, data);
  return Transformer.toXml.call(config, signed);
}

// The query (pay/querycombinedorder): the same pipeline, the fields in the
// order of the SDK's documented example, nonce_str after them.
function queryBuild(req) {
  const key = Buffer.from(req.key, 'hex');
  const data = {
    combine_appid: req.appid,
    combine_mch_id: req.mchid,
    sign_type: HMAC,
    combine_out_trade_no: req.otn,
    nonce_str: req.nonce,
  };
  const transformer = new Transformer(req.mchid, key);
  const config = { url: '/v2/pay/querycombinedorder', method: 'POST' };
  const signed = transformer.signer.call(config, data);
  return Transformer.toXml.call(config, signed);
}

const keys = new Map();
function privateKey(file) {
  if (!keys.has(file)) keys.set(file, Rsa.from(`file://${file}`, Rsa.KEY_TYPE_PRIVATE));
  return keys.get(file);
}

function answer(req) {
  switch (req.op) {
    case 'version':
      return { version };
    case 'sign':
      return { sign: Hash.sign(HMAC, objectOf(req.fields), Buffer.from(req.key, 'hex')) };
    case 'build':
      return { body: build(req) };
    case 'parse':
      return { fields: Transformer.toObject.call({}, req.body) };
    case 'resign': {
      const fields = Transformer.toObject.call({}, req.body);
      return { fields, sign: Hash.sign(HMAC, fields, Buffer.from(req.key, 'hex')) };
    }
    case 'qbuild':
      return { body: queryBuild(req) };
    case 'v2answer': {
      const key = Buffer.from(req.key, 'hex');
      const fields = objectOf(req.fields);
      const sign = Hash.sign(HMAC, fields, key);
      return { sign, body: Transformer.toXml.call({}, { ...fields, sign }) };
    }
    case 'v3req': {
      const message = Formatter.request(req.method || 'POST', req.path, req.ts, req.nonce, req.body);
      return {
        message,
        authorization: Formatter.authorization(req.mchid, req.nonce, req.sig, req.ts, req.serial),
        signature: Rsa.sign(message, privateKey(req.keyfile)),
        json: JSON.stringify(req.obj),
        pathname: new URL(req.path, req.base).pathname,
      };
    }
    case 'v3resp': {
      const message = Formatter.response(req.ts, req.nonce, req.body);
      return { message, signature: Rsa.sign(message, privateKey(req.keyfile)) };
    }
    default:
      return { error: `unknown op ${req.op}` };
  }
}

const out = [];
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  let res;
  try {
    res = answer(JSON.parse(line));
  } catch (e) {
    res = { error: String(e && e.message ? e.message : e) };
  }
  out.push(JSON.stringify(res));
});
rl.on('close', () => {
  process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
});
