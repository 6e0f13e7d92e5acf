// ali-oss (Node) uploads with a callback; prints one JSON line with what it observed.
// OSS_CALLBACK_URL points at a receiver that answers 200; OSS_FAILING_URL at one that fails.
'use strict';
const assert = require('node:assert/strict');
const OSS = require('ali-oss');

const env = process.env;
const client = new OSS({
  accessKeyId: env.OSS_AK,
  accessKeySecret: env.OSS_SK,
  bucket: env.OSS_BUCKET,
  region: 'oss-' + env.OSS_REGION,
  endpoint: env.OSS_ENDPOINT,
  authorizationV4: env.OSS_V4 === '1',
});

(async () => {
  const out = {};
  const ok = await client.put('node-callback.txt', Buffer.from('Hello World'), {
    callback: {
      url: env.OSS_CALLBACK_URL,
      body: 'bucket=${bucket}&object=${object}&size=${size}&var1=${x:var1}',
      contentType: 'application/x-www-form-urlencoded',
      callbackSNI: true,
      customValue: { var1: 'value1' },
    },
  });
  assert.equal(ok.res.status, 200);
  out.data = ok.data;

  const mp = await client.multipartUpload('node-callback-mp.bin', Buffer.alloc(250 * 1024, 1), {
    partSize: 100 * 1024,
    callback: { url: env.OSS_CALLBACK_URL, body: '{"size":${size}}', contentType: 'application/json' },
  });
  out.multipartData = mp.data;

  try {
    await client.put('node-callback-fail.txt', Buffer.from('stored anyway'), {
      callback: { url: env.OSS_FAILING_URL, body: 'a=b' },
    });
    assert.fail('a failing callback must throw');
  } catch (err) {
    out.failure = { name: err.name, code: err.code, status: err.status, message: err.message };
  }
  const kept = await client.get('node-callback-fail.txt');
  out.failedObjectContent = kept.content.toString();
  console.log(JSON.stringify(out));
})().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
