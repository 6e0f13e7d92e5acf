// Drives a live emulator with ali-oss (Node). Configuration comes from the environment;
// every step asserts, and the script prints one JSON line of what it observed.
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const dns = require('node:dns');
const http = require('node:http');
const { Readable } = require('node:stream');
const OSS = require('ali-oss');

const env = process.env;
const base = {
  accessKeyId: env.OSS_AK,
  accessKeySecret: env.OSS_SK,
  stsToken: env.OSS_TOKEN || undefined,
  bucket: env.OSS_BUCKET,
  region: 'oss-' + env.OSS_REGION,
  authorizationV4: env.OSS_V4 === '1',
  timeout: 20000,
};
const version = env.OSS_V4 === '1' ? 'v4' : 'v1';

// The emulator under a name instead of its IP, for the presigned URLs: ali-oss `signatureUrl`
// refuses IP endpoints and `signatureUrlV4` leaves the bucket out of their URLs
// (rest-api.md §1.1). Node does not resolve `<bucket>.localhost` (getaddrinfo ENOTFOUND, §1.1),
// so fetchUrl resolves `localhost` and `*.localhost` to the endpoint's host instead; the Host
// header still names `<bucket>.localhost`, which the emulator reads as a virtual host (§1.3).
const endpointHost = new URL(env.OSS_ENDPOINT).hostname;
const namedEndpoint = new URL(env.OSS_ENDPOINT);
namedEndpoint.hostname = 'localhost';

function lookup(hostname, options, callback) {
  const named = hostname === 'localhost' || hostname.endsWith('.localhost');
  dns.lookup(named ? endpointHost : hostname, options, callback);
}

// A plain HTTP request (no SDK): what a presigned URL's holder would send.
function fetchUrl(url, { method = 'GET', headers = {}, body } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(body);
  const allHeaders = payload ? { ...headers, 'Content-Length': payload.length } : headers;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: allHeaders, lookup }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const code = /<Code>([^<]*)<\/Code>/.exec(text);
        resolve({ status: res.statusCode, body: text, code: code ? code[1] : null });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// `fn` must throw; returns what the error says.
async function failure(fn) {
  try {
    await fn();
  } catch (err) {
    return { name: err.name, code: err.code || null, status: err.status || null, message: err.message };
  }
  assert.fail('expected an error');
}

async function objects(client, style, key) {
  const seen = {};
  const put = await client.put(key, Buffer.from('hello from ali-oss'), { meta: { who: 'node' } });
  assert.equal(put.res.status, 200);
  assert.match(put.res.headers.etag, /^"[0-9A-F]{32}"$/);
  const got = await client.get(key);
  assert.equal(got.content.toString(), 'hello from ali-oss');
  const head = await client.head(key);
  assert.equal(head.meta.who, 'node');
  const meta = await client.getObjectMeta(key);
  assert.equal(meta.status, 200);

  const listed = await client.list({ prefix: `node/${style}/`, 'max-keys': 10 });
  assert.deepEqual(listed.objects.map((o) => o.name), [key]);
  assert.ok(listed.objects[0].owner, 'Owner in every Contents');
  const listedV2 = await client.listV2({ prefix: `node/${style}/`, 'max-keys': 10 });
  assert.equal(listedV2.keyCount, 1);

  await client.copy(`${key}.copy`, key);
  const copied = await client.get(`${key}.copy`);
  assert.equal(copied.content.toString(), 'hello from ali-oss');

  const a1 = await client.append(`${key}.log`, Buffer.from('one '));
  await client.append(`${key}.log`, Buffer.from('two'), { position: a1.nextAppendPosition });
  assert.equal((await client.get(`${key}.log`)).content.toString(), 'one two');

  const big = Buffer.alloc(300 * 1024, 7);
  const mp = await client.multipartUpload(`${key}.mp`, big, { partSize: 100 * 1024 });
  assert.equal(mp.res.status, 200);
  const mpHead = await client.head(`${key}.mp`);
  assert.equal(mpHead.res.headers['x-oss-object-type'], 'Multipart');
  assert.equal(Number(mpHead.res.headers['content-length']), big.length);

  // Ranges and conditions (§9.6, §9.7) on a 10-byte object.
  const digits = `node/${style}/digits.txt`;
  const putDigits = await client.put(digits, Buffer.from('0123456789'));
  const etag = putDigits.res.headers.etag;
  const lastModified = (await client.head(digits)).res.headers['last-modified'];
  const range = await client.get(digits, { headers: { Range: 'bytes=2-4' } });
  const conditional = async (headers) => {
    const res = await client.get(digits, { headers });
    return { status: res.res.status, body: res.content.toString() };
  };
  seen.reads = {
    etag,
    range: {
      status: range.res.status,
      body: range.content.toString(),
      contentRange: range.res.headers['content-range'],
    },
    ifNoneMatch: await conditional({ 'If-None-Match': etag }),
    ifNoneMatchOther: await conditional({ 'If-None-Match': '"0123456789ABCDEF0123456789ABCDEF"' }),
    ifModifiedSince: await conditional({ 'If-Modified-Since': lastModified }),
    ifModifiedSinceEarlier: await conditional({
      'If-Modified-Since': new Date(Date.parse(lastModified) - 86400000).toUTCString(),
    }),
    ifMatch: await conditional({ 'If-Match': etag }),
    ifMatchOther: await failure(() => client.get(digits, { headers: { 'If-Match': '"0123456789ABCDEF0123456789ABCDEF"' } })),
  };

  // putStream: chunked transfer of a stream (no Content-Length).
  const streamed = `node/${style}/streamed.txt`;
  const pieces = ['stream-one;', 'stream-two;', 'x'.repeat(70000), ';end'];
  const putStream = await client.putStream(streamed, Readable.from(pieces.map((p) => Buffer.from(p))));
  const streamedBack = await client.get(streamed);
  seen.stream = {
    status: putStream.res.status,
    etag: putStream.res.headers.etag,
    length: streamedBack.content.length,
    md5: crypto.createHash('md5').update(streamedBack.content).digest('hex'),
  };

  const deleted = await client.deleteMulti([`${key}.copy`, `${key}.log`, `${key}.mp`]);
  seen.deleteMulti = { status: deleted.res.status, keys: deleted.deleted.map((d) => d.Key).sort() };
  const quiet = await client.deleteMulti([digits, streamed], { quiet: true });
  seen.deleteMultiQuiet = { status: quiet.res.status, deleted: quiet.deleted };
  await client.delete(key);
  const remaining = await client.list({ prefix: `node/${style}/`, 'max-keys': 10 });
  seen.remaining = (remaining.objects || []).map((o) => o.name);
  const missing = await failure(() => client.get(key));
  assert.equal(missing.code, 'NoSuchKey');
  assert.equal(missing.status, 404);
  seen.missing = missing.name;
  seen.etag = put.res.headers.etag;
  return seen;
}

async function uploads(client, style) {
  const name = `node/${style}/unfinished.bin`;
  const init = await client.initMultipartUpload(name);
  const { uploadId } = init;
  const one = await client.uploadPart(name, uploadId, 1, Buffer.alloc(100 * 1024, 1), 0, 100 * 1024);
  const two = await client.uploadPart(name, uploadId, 2, Buffer.from('tail'), 0, 4);
  const parts = await client.listParts(name, uploadId);
  const listed = await client.listUploads({ prefix: `node/${style}/` });
  const abort = await client.abortMultipartUpload(name, uploadId);
  const after = await client.listUploads({ prefix: `node/${style}/` });
  return {
    uploadId,
    initName: init.name,
    partEtags: [one.etag, two.etag],
    parts: {
      uploadId: parts.uploadId,
      name: parts.name,
      isTruncated: parts.isTruncated,
      list: [].concat(parts.parts).map((p) => ({ number: p.PartNumber, size: p.Size, etag: p.ETag })),
    },
    listed: listed.uploads.map((u) => ({ name: u.name, uploadId: u.uploadId })),
    abortStatus: abort.res.status,
    listedAfterAbort: after.uploads,
    listPartsAfterAbort: await failure(() => client.listParts(name, uploadId)),
  };
}

async function buckets(client, style) {
  const name = `node-${version}-${style}`;
  const names = async () => (await client.listBuckets()).buckets.map((b) => b.name);
  const before = await client.listBuckets();
  const created = await client.putBucket(name);
  const seen = {
    name,
    before: before.buckets.map((b) => ({ name: b.name, region: b.region })),
    created: { status: created.res.status, bucket: created.bucket },
    listed: await names(),
    location: (await client.getBucketLocation(name)).location,
    acl: (await client.getBucketACL(name)).acl,
    mainLocation: (await client.getBucketLocation(env.OSS_BUCKET)).location,
    mainAcl: await client.getBucketACL(env.OSS_BUCKET).then((r) => ({ acl: r.acl, owner: r.owner.id })),
  };

  const rules = [
    {
      allowedOrigin: ['https://a.example', 'https://b.example'],
      allowedMethod: ['GET', 'PUT'],
      allowedHeader: '*',
      exposeHeader: ['ETag', 'x-oss-request-id'],
      maxAgeSeconds: 100,
    },
    { allowedOrigin: 'https://c.example', allowedMethod: 'HEAD' },
  ];
  seen.cors = {
    before: await failure(() => client.getBucketCORS(name)),
    put: (await client.putBucketCORS(name, rules)).res.status,
    rules: (await client.getBucketCORS(name)).rules,
    deleted: (await client.deleteBucketCORS(name)).res.status,
    after: await failure(() => client.getBucketCORS(name)),
  };

  seen.deleteStatus = (await client.deleteBucket(name)).res.status;
  seen.after = await names();
  seen.gone = await failure(() => client.getBucketInfo(name));
  return seen;
}

async function presigned(client, style) {
  const key = `node/${style}/presigned 你好+1.txt`;
  await client.put(key, Buffer.from('presigned body'));
  const named = new OSS({ ...base, endpoint: namedEndpoint.origin, sldEnable: style === 'sld-path-style' });
  const seen = {};
  seen.v1Ip = await failure(() => client.signatureUrl(key));

  // signatureUrlV4 with the IP endpoint: with sldEnable the URL is path style and works;
  // without it the bucket is nowhere in the URL (§1.1), so the first path segment is taken
  // for the bucket. 'Misaddressed.txt' is not a valid bucket name: 400 InvalidBucketName (§1.3).
  const ipKey = style === 'sld-path-style' ? key : 'Misaddressed.txt';
  const ipUrl = await client.signatureUrlV4('GET', 60, undefined, ipKey);
  seen.v4Ip = { url: ipUrl, ...(await fetchUrl(ipUrl)) };

  const v1Get = named.signatureUrl(key);
  const v1PutUrl = named.signatureUrl(`${key}.v1put`, { method: 'PUT', 'Content-Type': 'text/plain' });
  const v4Get = await named.signatureUrlV4('GET', 60, undefined, key);
  const v4PutUrl = await named.signatureUrlV4('PUT', 60, { headers: { 'Content-Type': 'text/plain' } }, `${key}.v4put`);
  const put = (url, body) => fetchUrl(url, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body });
  seen.named = {
    v1Get: { url: v1Get, ...(await fetchUrl(v1Get)) },
    v1Put: { url: v1PutUrl, ...(await put(v1PutUrl, 'put through a V1 URL')) },
    v1PutBack: (await client.get(`${key}.v1put`)).content.toString(),
    v4Get: { url: v4Get, ...(await fetchUrl(v4Get)) },
    v4Put: { url: v4PutUrl, ...(await put(v4PutUrl, 'put through a V4 URL')) },
    v4PutBack: (await client.get(`${key}.v4put`)).content.toString(),
    tampered: await fetchUrl(v1Get.replace('Expires=', 'Expires=1')),
  };
  await client.deleteMulti([key, `${key}.v1put`, `${key}.v4put`], { quiet: true });
  return seen;
}

async function run(style) {
  const options = style === 'ip-host-override'
    ? { ...base, endpoint: env.OSS_ENDPOINT }                       // Host: <bucket>.oss-<region>.aliyuncs.com
    : { ...base, endpoint: env.OSS_ENDPOINT, sldEnable: true };     // path style (also Host override)
  const client = new OSS(options);
  const seen = await objects(client, style, `node/${style}/a b+c 你好.txt`);
  seen.uploads = await uploads(client, style);
  seen.buckets = await buckets(client, style);
  seen.presigned = await presigned(client, style);
  const info = await client.getBucketInfo(env.OSS_BUCKET);
  assert.equal(info.bucket.Name, env.OSS_BUCKET);
  seen.bucketLocation = info.bucket.Location;
  return seen;
}

(async () => {
  const results = {};
  for (const style of ['ip-host-override', 'sld-path-style']) {
    results[style] = await run(style);
  }
  const bad = new OSS({ ...base, accessKeySecret: 'wrong', endpoint: env.OSS_ENDPOINT });
  try {
    await bad.put('x', Buffer.from('x'));
    assert.fail('a wrong secret must fail');
  } catch (err) {
    assert.equal(err.code, 'SignatureDoesNotMatch');
    results.badSecret = err.code;
  }
  console.log(JSON.stringify(results));
})().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
