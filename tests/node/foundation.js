// Drives a live emulator with ali-oss (Node). Configuration comes from the environment;
// every step asserts, and the script prints one JSON line of what it observed.
'use strict';
const assert = require('node:assert/strict');
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

async function run(style) {
  const options = style === 'ip-host-override'
    ? { ...base, endpoint: env.OSS_ENDPOINT }                       // Host: <bucket>.oss-<region>.aliyuncs.com
    : { ...base, endpoint: env.OSS_ENDPOINT, sldEnable: true };     // path style (also Host override)
  const client = new OSS(options);
  const seen = {};
  const key = `node/${style}/a b+c 你好.txt`;

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

  await client.deleteMulti([`${key}.copy`, `${key}.log`, `${key}.mp`]);
  await client.delete(key);
  try {
    await client.get(key);
    assert.fail('get after delete must fail');
  } catch (err) {
    assert.equal(err.code, 'NoSuchKey');
    assert.equal(err.status, 404);
    seen.missing = err.name;
  }
  const info = await client.getBucketInfo(env.OSS_BUCKET);
  assert.equal(info.bucket.Name, env.OSS_BUCKET);
  seen.bucketLocation = info.bucket.Location;
  seen.etag = put.res.headers.etag;
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
